import Glibc
import SyncCore

/// A buffered writer on a file descriptor; stdout goes through one so `-v` on 100,000 files is not
/// 100,000 write calls. Errors flush stdout first so lines keep their order. `-8`'s raw bytes, carried in the
/// text as `RawByteMarker`s, are written as the bytes they stand for.
final class BufferedOutput {
    let descriptor: Int32
    private var buffer: [UInt8] = []

    init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) {
        if RawByteMarker.mayContain(text) {
            RawByteMarker.decode(text, into: &buffer)
        } else {
            buffer.append(contentsOf: text.utf8)
        }
        if buffer.count >= 1 << 16 { flush() }
    }

    func writeLine(_ text: String) {
        write(text)
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    break
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Local time formatting without Foundation.
enum Clock {
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// "2026/11/23 05:30:00" (rsync's `%t` and log-file timestamps); `separator` "-" gives `%M`'s shape.
    static func format(epochSeconds: Int64, separator: String = " ") -> String {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)/\(two(parts.tm_mon + 1))/\(two(parts.tm_mday))\(separator)"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    static func wallSeconds() -> Int64 {
        Int64(time(nil))
    }

    /// The wall-clock time now, in seconds with their fraction.
    static func wallTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// How many wall-clock seconds turned over in the `elapsed` seconds just past (rsync subtracts the
    /// `time()` of its start from that of its end).
    static func wholeSecondsTurned(in elapsed: Double) -> Double {
        let now = wallTime()
        return max(0, now.rounded(.down) - (now - elapsed).rounded(.down))
    }
}
