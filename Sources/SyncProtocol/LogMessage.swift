import SyncCore

/// rsync's message categories (`enum logcode` in rsync `rsync.h`; the values are its `MSG_*` codes).
public enum LogKind: UInt8, Sendable, CaseIterable {
    /// `FERROR_XFER`: a per-file error; the run goes on and ends with exit 23.
    case errorTransfer = 1
    /// `FINFO`: stdout.
    case info = 2
    /// `FERROR`: stderr.
    case error = 3
    /// `FWARNING`: stderr.
    case warning = 4
    /// `FERROR_SOCKET`: stderr.
    case errorSocket = 5
    /// `FLOG`: the `--log-file` only.
    case log = 6
    /// `FCLIENT`: stdout, client side only.
    case client = 7

    /// Where rsync shows it on the client.
    public var isStderr: Bool {
        switch self {
        case .errorTransfer, .error, .warning, .errorSocket: return true
        case .info, .log, .client: return false
        }
    }
}

/// A log line from the peer, multiplexed with data; the client shows it as if it were its own.
public struct LogMessage: Sendable, Equatable {
    public var kind: LogKind
    /// The text without the program prefix and without a trailing newline.
    public var text: String
    /// The role that wrote it: rendered as `swsync: [receiver] ...` for errors and warnings.
    public var role: Role?
    /// An error or warning printed after the program name (`Diagnostic.isPrefixed`).
    public var isPrefixed: Bool

    public init(_ kind: LogKind, _ text: String, role: Role? = nil, isPrefixed: Bool = true) {
        (self.kind, self.text, self.role, self.isPrefixed) = (kind, text, role, isPrefixed)
    }

    /// Hands the message to the local output, as rsync's `rwrite` does for messages read from the peer:
    /// info to stdout, errors and warnings to stderr with the role, log-only lines nowhere (no `--log-file`
    /// hook on the observer yet).
    public func deliver(to observer: some TransferObserver) {
        switch kind {
        case .info, .client: observer.info(text)
        case .errorTransfer, .error, .warning, .errorSocket:
            observer.error(Diagnostic(text, role: role, isPrefixed: isPrefixed))
        case .log: break
        }
    }

    /// The role byte's high bit: the line is printed without the program name.
    static var bareFlag: UInt8 { 0x80 }

    /// The role and the prefix choice, in one byte.
    var roleAndPrefixByte: UInt8 { Self.roleByte(role) | (isPrefixed ? 0 : Self.bareFlag) }

    static func roleByte(_ role: Role?) -> UInt8 {
        switch role {
        case nil: return 0
        case .sender: return 1
        case .receiver: return 2
        case .generator: return 3
        case .client: return 4
        }
    }

    static func role(from byte: UInt8) throws(ProtocolError) -> Role? {
        switch byte {
        case 0: return nil
        case 1: return .sender
        case 2: return .receiver
        case 3: return .generator
        case 4: return .client
        default: throw .malformed("log role \(byte)")
        }
    }
}
