import SyncCore

/// The options a batch was written with that decide how its stream reads (rsync's "stream flags" of
/// `batch.c`, plus what swsync's file list carries): `--read-batch` sets them from the batch.
public struct BatchFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    // rsync's bits first, in rsync's order (bit 8, -z, is not kept: a batch holds its data plain).
    public static let recursive = BatchFlags(rawValue: 1 << 0)
    public static let owner = BatchFlags(rawValue: 1 << 1)
    public static let group = BatchFlags(rawValue: 1 << 2)
    public static let links = BatchFlags(rawValue: 1 << 3)
    public static let devices = BatchFlags(rawValue: 1 << 4)
    public static let hardLinks = BatchFlags(rawValue: 1 << 5)
    public static let checksum = BatchFlags(rawValue: 1 << 6)
    public static let dirs = BatchFlags(rawValue: 1 << 7)
    public static let acls = BatchFlags(rawValue: 1 << 10)
    public static let xattrs = BatchFlags(rawValue: 1 << 11)
    public static let inplace = BatchFlags(rawValue: 1 << 12)
    public static let append = BatchFlags(rawValue: 1 << 13)
    public static let appendVerify = BatchFlags(rawValue: 1 << 14)
    // swsync's own.
    public static let specials = BatchFlags(rawValue: 1 << 16)
    /// `-U`: every non-directory entry carries its atime.
    public static let atimes = BatchFlags(rawValue: 1 << 17)
    /// The run built its whole list before the transfer (no incremental recursion), as a replay of it
    /// does (rsync keeps this in the batch's compatibility flags).
    public static let wholeList = BatchFlags(rawValue: 1 << 18)

    static let known: BatchFlags = [.recursive, .owner, .group, .links, .devices, .hardLinks, .checksum, .dirs,
        .acls, .xattrs, .inplace, .append, .appendVerify, .specials, .atimes, .wholeList]

    /// rsync's name for each flag, for "Setting the --recurse (-r) option to match the batchfile."
    public static let names: [(BatchFlags, String)] = [
        (.recursive, "--recurse (-r)"), (.owner, "--owner (-o)"), (.group, "--group (-g)"),
        (.links, "--links (-l)"), (.devices, "--devices (-D)"), (.hardLinks, "--hard-links (-H)"),
        (.checksum, "--checksum (-c)"), (.dirs, "--dirs (-d)"), (.acls, "--acls (-A)"), (.xattrs, "--xattrs (-X)"),
        (.inplace, "--inplace"), (.append, "--append"), (.appendVerify, "--append-verify"),
        (.specials, "--specials"), (.atimes, "--atimes (-U)"),
    ]
}

/// The start of a batch file (`--write-batch`, `--only-write-batch`; read by `--read-batch`):
///
///     magic    8 bytes   00 53 57 42 41 54 43 48   ("\0SWBATCH")
///     version  u8        1
///     flags    varint    `BatchFlags`
///     checksum u8        the `ChecksumChoice` of the deltas' whole-file digests
///
/// Frames follow, as on the wire (`Docs/protocol.md`), uncompressed and at most 256 KiB each: the
/// sender's file list (`idNames`, `fileListChunk`, `fileListDone`) and each transferred file's data
/// (`delta` pieces, then `fileEnd`) in the order the generator asked for them, the two interleaved as
/// they crossed the link; then the recorded run's `stats` (what a replay's `--stats` shows, as rsync's) and
/// `done` last. A batch without `done` is truncated.
public struct BatchHeader: Sendable, Equatable {
    public static let magic: [UInt8] = [0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48]
    public static let version: UInt8 = 1
    /// The header never needs more bytes than this to decode.
    public static let maxLength = 8 + 1 + 10 + 1

    public var flags: BatchFlags
    public var checksum: ChecksumChoice

    public init(flags: BatchFlags, checksum: ChecksumChoice) {
        self.flags = flags
        self.checksum = checksum
    }

    public func encode() -> [UInt8] {
        var w = PayloadWriter()
        w.raw(Self.magic)
        w.byte(Self.version)
        w.varint(flags.rawValue)
        w.byte(checksum.rawValue)
        return w.bytes
    }

    /// Decodes the header at the start of `bytes`; nil when more bytes are needed (a short file is
    /// `truncated` once the caller has no more). Returns the header and its length.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (header: BatchHeader, length: Int)? {
        let prefix = min(bytes.count, magic.count)
        guard Array(bytes[0..<prefix]) == Array(magic[0..<prefix]) else {
            throw .malformed("not a swsync batch file")
        }
        guard bytes.count >= magic.count + 1 else { return nil }
        let version = bytes[magic.count]
        guard version == Self.version else {
            throw ProtocolError(.versionMismatch, "batch file version \(version) (this swsync reads \(Self.version))")
        }
        var index = magic.count + 1
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            guard shift < 63 || (shift == 63 && byte <= 1) else { throw .malformed("batch flags overflow") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard byte != 0 || shift == 0 else { throw .malformed("overlong batch flags") }
                break
            }
            shift += 7
        }
        let flags = BatchFlags(rawValue: value)
        guard BatchFlags.known.isSuperset(of: flags) else {
            throw .malformed("unknown batch flags 0x\(String(value, radix: 16))")
        }
        guard index < bytes.count else { return nil }
        guard let checksum = ChecksumChoice(rawValue: bytes[index]) else {
            throw .malformed("unknown checksum \(bytes[index]) in the batch header")
        }
        return (BatchHeader(flags: flags, checksum: checksum), index + 1)
    }
}

/// Reads a batch file's messages after its header, each checked as the peer's would be (the frame
/// limit, `Message.decode`'s bounds), and only the kinds a batch holds.
public struct BatchDecoder: Sendable {
    private var messages = MessageDecoder(limits: .standard)
    public private(set) var ended = false
    private var sawStats = false

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) { messages.feed(bytes) }

    /// The next message, nil until a whole frame is in. `done` ends the batch: nothing may follow.
    public mutating func next() throws(ProtocolError) -> Message? {
        guard let message = try messages.next() else { return nil }
        guard !ended else { throw .malformed("data after the end of the batch") }
        switch message {
        case .fileListChunk, .idNames, .fileListDone, .delta, .fileEnd: return message
        case .stats where !sawStats:
            sawStats = true
            return message
        case .done:
            ended = true
            return message
        default: throw .malformed("\(message.type) message in a batch file")
        }
    }

    /// Call at the end of the file: throws unless `done` was read and nothing is left over.
    public func finishInput() throws(ProtocolError) {
        try messages.finishInput()
        guard ended else { throw .truncated("batch file (no end record)") }
    }

    /// True for the messages a batch records (what the sender sends the receiving side).
    public static func records(_ message: Message) -> Bool {
        switch message {
        case .fileListChunk, .idNames, .fileListDone, .delta, .fileEnd: true
        default: false
        }
    }
}
