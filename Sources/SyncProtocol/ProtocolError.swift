import SyncCore

/// Bad data from the peer, or a peer we cannot talk to. Never a trap: every decoder throws this instead.
///
/// `syncError` gives the run-ending error. Problems found before or in the hello map to rsync exit 2
/// ("protocol incompatibility"), as rsync's `setup_protocol` does for a bad version or an unclean shell;
/// everything after the hello maps to exit 12 ("error in rsync protocol data stream").
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncated, malformed, limitExceeded, unknownMessage, unsafePath, outOfSequence
            case garbageBeforeHello, versionMismatch, missingCapability, delta, compression
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input ended inside a frame, the hello or a field.
        public static let truncated = Code(.truncated)
        /// A field holds an impossible value (bad flag bits, overlong varint, trailing bytes...).
        public static let malformed = Code(.malformed)
        /// A length or count is over a `ProtocolLimits` limit.
        public static let limitExceeded = Code(.limitExceeded)
        /// A frame type this version does not know.
        public static let unknownMessage = Code(.unknownMessage)
        /// A file name the receiver refuses (absolute, `..`, NUL, empty component, too long).
        public static let unsafePath = Code(.unsafePath)
        /// A well-formed message at the wrong time (a request for an unknown file, a reply out of order...).
        public static let outOfSequence = Code(.outOfSequence)
        /// Bytes before the hello that are not the hello: a login banner or shell message on stdout.
        public static let garbageBeforeHello = Code(.garbageBeforeHello)
        /// The peers' version ranges do not overlap.
        public static let versionMismatch = Code(.versionMismatch)
        /// The run needs a capability the peer did not offer (e.g. `-z` against a peer without zstd).
        public static let missingCapability = Code(.missingCapability)
        /// A signature or delta payload failed `SignatureCodec`/`DeltaDecoder` checks.
        public static let delta = Code(.delta)
        /// A compressed frame did not decompress, or decompressed to more than a frame may hold.
        public static let compression = Code(.compression)

        public var description: String { "\(base)" }

        var isHandshake: Bool { base == .garbageBeforeHello || base == .versionMismatch || base == .missingCapability }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The exit status rsync would end with: 2 for handshake problems, 12 for a bad stream.
    public var exitStatus: ExitStatus { code.isHandshake ? .protocolIncompatibility : .streamIO }

    /// The run-ending error, shaped like rsync's messages.
    public var syncError: SyncError {
        code.isHandshake ? SyncError(exitStatus, message) : SyncError(exitStatus, "protocol stream: \(message)")
    }

    @inline(never) static func truncated(_ what: String) -> ProtocolError { ProtocolError(.truncated, "truncated \(what)") }
    @inline(never) static func malformed(_ message: String) -> ProtocolError { ProtocolError(.malformed, message) }
    @inline(never) static func limit(_ message: String) -> ProtocolError { ProtocolError(.limitExceeded, message) }
    @inline(never) static func sequence(_ message: String) -> ProtocolError { ProtocolError(.outOfSequence, message) }
    @inline(never) static func unsafePath(_ message: String) -> ProtocolError { ProtocolError(.unsafePath, message) }

    /// A signature or delta payload from the peer that SyncCore's codecs rejected.
    @inline(never)
    public static func delta(_ error: DeltaError) -> ProtocolError { ProtocolError(.delta, "delta stream: \(error.message)") }
}

extension SyncError {
    /// `ProtocolError.syncError`, for call sites that think in `SyncError`.
    @inline(never)
    public static func protocolError(_ error: ProtocolError) -> SyncError { error.syncError }
}
