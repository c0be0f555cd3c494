import Glibc
import SyncCore

/// Measures the delta engine alone on one core: the signature of FILE, then the delta of FILE against
/// that signature (an unchanged file: every block matches). Reads go through the page cache, so keep
/// FILE on tmpfs. Run by Scripts/bench-delta-engine; prints throughput in GB/s (10^9 bytes).
@main
enum DeltaBench {
    static func main() {
        guard CommandLine.arguments.count == 2 else {
            print("usage: DeltaBench FILE")
            exit(1)
        }
        let path = CommandLine.arguments[1]
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            print("DeltaBench: cannot open \(path)")
            exit(1)
        }
        var info = stat()
        fstat(descriptor, &info)
        let size = Int(info.st_size)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 64)
        defer { chunk.deallocate() }

        func readAll(_ body: (UnsafeRawBufferPointer) -> Void) {
            var offset = 0
            while true {
                let count = pread(descriptor, chunk.baseAddress, chunk.count, off_t(offset))
                if count <= 0 { break }
                body(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                offset += count
            }
        }

        let clock = ContinuousClock()
        var signature: Signature?
        let signatureTime = clock.measure {
            let builder = SignatureBuilder(fileSize: size)
            readAll { builder.append($0) }
            signature = builder.finish()
        }
        var copies = 0
        let deltaTime = clock.measure {
            let generator = DeltaGenerator(signature: signature!)
            readAll { bytes in generator.append(bytes) { if case .copy = $0 { copies += 1 } } }
            _ = generator.finish { if case .copy = $0 { copies += 1 } }
        }
        func rate(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            let value = Double(size) / seconds / 1e9
            return String(Int(value * 100)) .padded() + " GB/s"
        }
        print("file: \(size) bytes, block \(signature!.blockLength), \(signature!.blockCount) blocks")
        print("signature: \(signatureTime)  (\(rate(signatureTime)))")
        print("delta:     \(deltaTime)  (\(rate(deltaTime))), \(copies) copy instructions")
    }
}

extension String {
    /// "123" (hundredths) → "1.23".
    func padded() -> String {
        let digits = count < 3 ? String(repeating: "0", count: 3 - count) + self : self
        return String(digits.dropLast(2)) + "." + String(digits.suffix(2))
    }
}
