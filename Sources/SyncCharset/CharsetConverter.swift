import Glibc
import Synchronization

/// Why a conversion (or opening one) failed. Decided from iconv's errno, never from message text.
public struct CharsetError: Error, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// `iconv_open` refused the pair (an unknown charset): rsync's exit 4.
        case unsupportedPair
        /// A byte sequence that is not valid in the source charset, or has no form in the target (EILSEQ).
        case invalidSequence
        /// The input ends inside a multi-byte sequence (EINVAL).
        case incompleteSequence
        /// The result would be longer than the caller allows (E2BIG).
        case outputTooLong
    }

    public let reason: Reason
    /// The errno behind it, for rsync's `(strerror)` text.
    public let errno: Int32

    /// A sequence with no form in the target (EILSEQ): also what a caller reports for a converted name it
    /// cannot use.
    public static var invalidSequence: CharsetError { CharsetError(reason: .invalidSequence, errno: EILSEQ) }

    /// A converted name longer than a name may be (ENAMETOOLONG).
    public static var nameTooLong: CharsetError { CharsetError(reason: .outputTooLong, errno: ENAMETOOLONG) }

    /// `strerror` of the errno, as rsync prints it after a name it cannot convert.
    public var errnoText: String { String(cString: strerror(errno)) }
}

/// One direction of a charset conversion (`iconv_open(to, from)`), owning its `iconv_t`.
///
/// Used by `--iconv` (rsync's `ic_send`/`ic_recv` in `rsync.c`). iconv's state is per handle, so calls are
/// serialized; each conversion starts from the initial shift state, as rsync's `ICB_INIT`.
public final class CharsetConverter: Sendable {
    public let from: String
    public let to: String
    // iconv_t is a raw pointer: kept as its bits, used only under the lock.
    private let handle: Mutex<UInt>

    /// Opens the conversion from `from` to `to`; an unknown charset is `.unsupportedPair`.
    public init(from: String, to: String) throws(CharsetError) {
        let opened = iconv_open(to, from)
        guard let opened, opened != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw CharsetError(reason: .unsupportedPair, errno: Glibc.errno)
        }
        self.from = from
        self.to = to
        handle = Mutex(UInt(bitPattern: opened))
    }

    deinit {
        handle.withLock { bits in
            if let pointer = UnsafeMutableRawPointer(bitPattern: bits) { _ = iconv_close(pointer) }
        }
    }

    /// `bytes` converted whole, at most `limit` bytes long. A sequence the charsets cannot map, an
    /// incomplete one at the end, or a longer result is an error: nothing is half-converted.
    public func convert(_ bytes: [UInt8], limit: Int) throws(CharsetError) -> [UInt8] {
        if bytes.isEmpty { return [] }
        // Room for the usual growth (one byte to four), bounded by the caller's limit; grown on E2BIG.
        var capacity = min(max(limit, 1), bytes.count * 4 + 16)
        while true {
            switch attempt(bytes, capacity: capacity) {
            case .success(let output): return output
            case .failure(let error) where error.reason == .outputTooLong && capacity < limit:
                capacity = min(limit, capacity * 2)
            case .failure(let error): throw error
            }
        }
    }

    private func attempt(_ bytes: [UInt8], capacity: Int) -> Result<[UInt8], CharsetError> {
        handle.withLock { bits -> Result<[UInt8], CharsetError> in
            let ic = UnsafeMutableRawPointer(bitPattern: bits)
            // ICB_INIT: back to the initial shift state before each name.
            _ = iconv(ic, nil, nil, nil, nil)
            var input = bytes
            var failure: CharsetError?
            let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                input.withUnsafeMutableBufferPointer { inBuffer in
                    var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    var inLeft = inBuffer.count
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress!)
                        .assumingMemoryBound(to: CChar.self)
                    var outLeft = buffer.count
                    var result = iconv(ic, &inPointer, &inLeft, &outPointer, &outLeft)
                    while result == -1 && Glibc.errno == EINTR {
                        result = iconv(ic, &inPointer, &inLeft, &outPointer, &outLeft)
                    }
                    if result == -1 {
                        failure = Self.error(Glibc.errno)
                    } else if iconv(ic, nil, nil, &outPointer, &outLeft) == -1 {
                        // Flushing a stateful charset's return to its initial state did not fit.
                        failure = Self.error(Glibc.errno)
                    }
                    count = buffer.count - outLeft
                }
            }
            if let failure { return .failure(failure) }
            return .success(output)
        }
    }

    private static func error(_ code: Int32) -> CharsetError {
        switch code {
        case EILSEQ: CharsetError(reason: .invalidSequence, errno: code)
        case EINVAL: CharsetError(reason: .incompleteSequence, errno: code)
        case E2BIG: CharsetError(reason: .outputTooLong, errno: code)
        default: CharsetError(reason: .invalidSequence, errno: code)
        }
    }
}
