/// A malformed, truncated or oversized signature or delta, or a delta that does not fit its basis.
///
/// Data from a peer that fails these checks is a protocol stream error: `syncError` maps to rsync exit 12.
public struct DeltaError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncated, malformed, limitExceeded, unsupportedVersion, mismatch
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ended inside a record.
        public static let truncated = Code(.truncated)
        /// A field holds an impossible value (bad tag, overlong varint, block index out of range...).
        public static let malformed = Code(.malformed)
        /// A count or length is over a `DeltaLimits` limit.
        public static let limitExceeded = Code(.limitExceeded)
        /// A version or checksum byte we do not know.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The delta does not belong to this basis (geometry or output size differs).
        public static let mismatch = Code(.mismatch)

        public var description: String { "\(base)" }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The run-ending error for a peer's bad data: rsync exit 12, "error in rsync protocol data stream".
    public var syncError: SyncError { SyncError(.streamIO, "delta stream: \(message)") }

    @inline(never) static func truncated(_ what: String) -> DeltaError { DeltaError(.truncated, "truncated \(what)") }
    @inline(never) static func malformed(_ message: String) -> DeltaError { DeltaError(.malformed, message) }
    @inline(never) static func limit(_ message: String) -> DeltaError { DeltaError(.limitExceeded, message) }
    @inline(never) static func mismatch(_ message: String) -> DeltaError { DeltaError(.mismatch, message) }
}
