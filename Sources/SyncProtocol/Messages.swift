import SyncCore

/// The frame type byte: which message a frame holds (see Docs/protocol.md, "Messages").
public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    // Sender → receiving side.
    case fileListChunk = 0x01
    case fileListDone = 0x02
    case idNames = 0x03
    // Client → server, after the hello and before the run (capability `runSetup`).
    case setup = 0x08
    // Server → client, after the setup (capability `peerFileList`): a push's `--files-from=host:FILE`.
    case fileList = 0x09
    // Generator → sender.
    case request = 0x10
    case signature = 0x11
    case received = 0x16
    case release = 0x17
    case taken = 0x18
    // Sender → receiver.
    case delta = 0x12
    case fileEnd = 0x13
    // Receiving side → the client, for its output.
    case itemize = 0x14
    case deleted = 0x15
    // Either way.
    case log = 0x20
    case abort = 0x21
    case done = 0x30
    case stats = 0x31
    case goodbye = 0x32
    case progress = 0x3E
    case keepalive = 0x3F

    public var description: String {
        switch self {
        case .fileListChunk: return "fileListChunk"
        case .fileListDone: return "fileListDone"
        case .idNames: return "idNames"
        case .setup: return "setup"
        case .fileList: return "fileList"
        case .request: return "request"
        case .received: return "received"
        case .release: return "release"
        case .taken: return "taken"
        case .signature: return "signature"
        case .delta: return "delta"
        case .fileEnd: return "fileEnd"
        case .itemize: return "itemize"
        case .deleted: return "deleted"
        case .log: return "log"
        case .abort: return "abort"
        case .done: return "done"
        case .stats: return "stats"
        case .goodbye: return "goodbye"
        case .progress: return "progress"
        case .keepalive: return "keepalive"
        }
    }
}

/// How the sender finished with a requested file.
public enum FileOutcome: UInt8, Sendable {
    /// The whole delta stream was sent; its end record carries the file's size and checksum.
    case complete = 0
    /// The file was gone when the sender opened it (counts toward exit 24); no delta was sent.
    case vanished = 1
    /// Reading failed part way (the sender logged why); the receiver drops what it got (exit 23).
    case failed = 2
}

/// The generator asks the sender for a file's data (rsync: the file index followed by the sum header).
/// With `signatureLength` > 0, that many bytes of `SignatureCodec` encoding follow in `signature` messages
/// and the sender answers with a delta against the basis; with 0, it sends the whole file as literals.
public struct FileRequest: Sendable, Equatable {
    public var fileIndex: Int
    public var signatureLength: Int

    public init(fileIndex: Int, signatureLength: Int = 0) {
        self.fileIndex = fileIndex
        self.signatureLength = signatureLength
    }
}

/// An itemized change made on the receiving side, for the client's `-i`/`-v`/`--out-format` output: the
/// whole `ItemizedChange`, so the client renders it exactly as a local run would.
public struct ItemizeRecord: Sendable, Equatable {
    public var name: [UInt8]
    public var kind: FileKind
    public var flags: ItemizeFlags
    public var size: Int64
    public var mtime: FileTime
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var symlinkTarget: [UInt8]?
    public var hardLinkLeader: [UInt8]?
    public var bytesTransferred: Int64

    public init(_ item: ItemizedChange) {
        name = item.name
        kind = item.kind
        flags = item.flags
        size = item.size
        mtime = item.mtime
        permissions = item.permissions
        uid = item.uid
        gid = item.gid
        symlinkTarget = item.symlinkTarget
        hardLinkLeader = item.hardLinkLeader
        bytesTransferred = item.bytesTransferred
    }

    public var item: ItemizedChange {
        var item = ItemizedChange(name: name, kind: kind, flags: flags, size: size, mtime: mtime,
            permissions: permissions, uid: uid, gid: gid)
        item.symlinkTarget = symlinkTarget
        item.hardLinkLeader = hardLinkLeader
        item.bytesTransferred = bytesTransferred
        return item
    }

    public static func == (a: ItemizeRecord, b: ItemizeRecord) -> Bool {
        a.name == b.name && a.kind == b.kind && a.flags == b.flags && a.size == b.size && a.mtime == b.mtime
            && a.permissions == b.permissions && a.uid == b.uid && a.gid == b.gid && a.symlinkTarget == b.symlinkTarget
            && a.hardLinkLeader == b.hardLinkLeader && a.bytesTransferred == b.bytesTransferred
    }

    static let knownFlags: UInt32 = 0x7FFE  // ItemizeFlags, up to reportAccessTime (1 << 14)
}

/// One user or group name of the sender's (rsync's `uidlist`).
public struct IDName: Sendable, Equatable, Hashable {
    public var isGroup: Bool
    public var id: UInt32
    public var name: [UInt8]

    public init(isGroup: Bool, id: UInt32, name: [UInt8]) {
        self.isGroup = isGroup
        self.id = id
        self.name = name
    }
}

/// Everything that travels in a frame after the hello.
public enum Message: Sendable, Equatable {
    /// Part of the file list: one directory's entries (or the root's).
    case fileListChunk(FileListChunk)
    /// The file list is complete. `ioError`: the sender could not read everything, so the receiver must
    /// not delete (rsync's `io_error`).
    case fileListDone(ioError: Bool)
    /// User and group names of ids the file list uses (rsync's uid/gid lists), so the receiver can map
    /// them to its own ids; not sent with `--numeric-ids`.
    case idNames([IDName])
    /// Part of the client's run setup: filter rules, rules files, `--files-from` sources (`RunSetup`).
    case setup(SetupPart)
    /// Part of the `--files-from` list a push's server read (`PeerFileList`).
    case fileList(FileListPart)
    case request(FileRequest)
    /// `--remove-source-files`: the receiver has file `fileIndex` (a non-directory) in place, so the
    /// sender may remove its source (rsync's `MSG_SUCCESS`).
    case received(fileIndex: Int)
    /// The generator will never again ask for, nor report as received, a file listed before `below`, but
    /// those in `keeping` (ascending; asked for or reported at the end of the run), so the sender may forget
    /// them (rsync frees a file-list segment on its generator's `NDX_DONE`; capability `fileRelease`).
    case release(FileRelease)
    /// The generator has taken the listings of every entry before `upTo`: the sender lists no further
    /// than a bounded lookahead past it, so neither side queues the list when the generator is the slower
    /// (rsync's sender keeps `MIN_FILECNT_LOOKAHEAD` files ahead; capability `fileRelease`).
    case taken(upTo: Int)
    /// A piece of the `SignatureCodec` bytes announced by the `request` for `fileIndex`.
    case signature(fileIndex: Int, bytes: [UInt8])
    /// A piece of the `DeltaCodec` stream for `fileIndex` (header, records, end record with the checksum).
    case delta(fileIndex: Int, bytes: [UInt8])
    /// The sender is done with `fileIndex`.
    case fileEnd(fileIndex: Int, outcome: FileOutcome)
    case itemize(ItemizeRecord)
    /// `deleting NAME` (rsync `MSG_DELETED`): a full relative path and what it was.
    case deleted(name: [UInt8], kind: FileKind)
    /// A line for the user: info, warning or error, with rsync's categories.
    case log(LogMessage)
    /// The peer hit a fatal error and ends the run with `status` (rsync `MSG_ERROR_EXIT`); the message
    /// is shown after the program name unless `isPrefixed` is false (`Diagnostic`).
    case abort(status: ExitStatus, message: String, isPrefixed: Bool = true)
    /// From the generator: no more requests. From the sender: every request has been answered.
    case done
    case stats(WireStats)
    /// The last message: the peer's exit status for its part of the run (0, 23, 24, 25...).
    case goodbye(status: ExitStatus)
    /// The sender of this message is working: `counter` grows with each step it takes (messages handled,
    /// files read, listings walked). Sent instead of `keepalive` when the counter moved (capability
    /// `progress`); a larger counter than the last one counts as progress for `--timeout`.
    case progress(counter: UInt64)
    /// Keeps an idle link open; carries nothing and does not count as progress for `--timeout`.
    case keepalive

    public var type: MessageType {
        switch self {
        case .fileListChunk: return .fileListChunk
        case .fileListDone: return .fileListDone
        case .idNames: return .idNames
        case .setup: return .setup
        case .fileList: return .fileList
        case .request: return .request
        case .received: return .received
        case .release: return .release
        case .taken: return .taken
        case .signature: return .signature
        case .delta: return .delta
        case .fileEnd: return .fileEnd
        case .itemize: return .itemize
        case .deleted: return .deleted
        case .log: return .log
        case .abort: return .abort
        case .done: return .done
        case .stats: return .stats
        case .goodbye: return .goodbye
        case .progress: return .progress
        case .keepalive: return .keepalive
        }
    }

    /// The payload of this message's frame. Splitting long payloads is `MessageEncoder`'s job.
    public func encodePayload(limits: ProtocolLimits = .standard) -> [UInt8] {
        var w = PayloadWriter()
        switch self {
        case .fileListChunk(let chunk):
            FileListCodec.encode(chunk, into: &w)
        case .fileListDone(let ioError):
            w.byte(ioError ? 1 : 0)
        case .setup(let part):
            part.encode(into: &w)
        case .fileList(let part):
            part.encode(into: &w)
        case .progress(let counter):
            w.varint(counter)
        case .request(let request):
            w.varint(request.fileIndex)
            w.varint(request.signatureLength)
        case .signature(let index, let bytes), .delta(let index, let bytes):
            w.varint(index)
            w.raw(bytes)
        case .fileEnd(let index, let outcome):
            w.varint(index)
            w.byte(outcome.rawValue)
        case .received(let index):
            w.varint(index)
        case .taken(let upTo):
            w.varint(upTo)
        case .release(let release):
            w.varint(release.below)
            w.varint(release.keeping.count)
            for index in release.keeping { w.varint(index) }
        case .idNames(let names):
            w.varint(names.count)
            for name in names {
                w.byte(name.isGroup ? 1 : 0)
                w.varint(UInt64(name.id))
                w.blob(name.name)
            }
        case .itemize(let record):
            w.blob(record.name)
            w.byte(record.kind.rawValue)
            w.varint(UInt64(record.flags.rawValue))
            w.varint(UInt64(max(0, record.size)))
            w.signedVarint(record.mtime.seconds)
            w.varint(UInt64(max(0, record.mtime.nanoseconds)))
            w.varint(UInt64(record.permissions))
            w.varint(UInt64(record.uid))
            w.varint(UInt64(record.gid))
            w.byte((record.symlinkTarget == nil ? 0 : 1) | (record.hardLinkLeader == nil ? 0 : 2))
            if let target = record.symlinkTarget { w.blob(target) }
            if let leader = record.hardLinkLeader { w.blob(leader) }
            w.varint(UInt64(max(0, record.bytesTransferred)))
        case .deleted(let name, let kind):
            w.byte(kind.rawValue)
            w.raw(name)
        case .log(let message):
            w.byte(message.kind.rawValue)
            w.byte(message.roleAndPrefixByte)
            w.raw(Self.cut(message.text, to: limits.maxLogTextLength))
        case .abort(let status, let message, let isPrefixed):
            w.varint(Int(status.rawValue))
            w.byte(isPrefixed ? 0 : 1)
            w.raw(Self.cut(message, to: limits.maxLogTextLength))
        case .done, .keepalive:
            break
        case .stats(let stats):
            let values = stats.fieldValues
            w.varint(values.count)
            for value in values { w.varint(UInt64(max(0, value))) }
        case .goodbye(let status):
            w.varint(Int(status.rawValue))
        }
        return w.bytes
    }

    /// Decodes an uncompressed frame. Every field is checked; bytes after the last field are an error.
    public static func decode(_ frame: Frame, limits: ProtocolLimits = .standard) throws(ProtocolError) -> Message {
        guard !frame.flags.contains(.compressed) else {
            throw .malformed("compressed \(frame.type) frame given to Message.decode; decompress it first")
        }
        return try decode(type: frame.type, payload: frame.payload, limits: limits)
    }

    public static func decode(type: MessageType, payload: [UInt8], limits: ProtocolLimits = .standard)
        throws(ProtocolError) -> Message
    {
        var r = PayloadReader(payload, what: "\(type) message")
        let maxIndex = limits.maxFileCount - 1
        let message: Message
        switch type {
        case .fileListChunk:
            message = .fileListChunk(try FileListCodec.decode(&r, limits: limits))
        case .fileListDone:
            let flags = try r.byte("flags")
            guard flags <= 1 else { throw .malformed("fileListDone flags 0x\(String(flags, radix: 16))") }
            message = .fileListDone(ioError: flags == 1)
        case .setup:
            message = .setup(try SetupPart.decode(&r))
        case .fileList:
            message = .fileList(try FileListPart.decode(&r))
        case .progress:
            message = .progress(counter: try r.varint64("progress counter"))
        case .request:
            let index = try r.varint("file index", max: maxIndex)
            let length = try r.varint("signature length", max: limits.maxSignatureBytes)
            message = .request(FileRequest(fileIndex: index, signatureLength: length))
        case .signature, .delta:
            let index = try r.varint("file index", max: maxIndex)
            guard r.remaining > 0 else { throw .malformed("empty \(type) message") }
            let bytes = Array(try r.take(r.remaining, "data"))
            message = type == .signature ? .signature(fileIndex: index, bytes: bytes) : .delta(fileIndex: index, bytes: bytes)
        case .received:
            message = .received(fileIndex: try r.varint("file index", max: maxIndex))
        case .release:
            message = .release(try FileRelease.decode(&r, maxIndex: maxIndex))
        case .taken:
            message = .taken(upTo: try r.varint("taken mark", max: maxIndex + 1))
        case .fileEnd:
            let index = try r.varint("file index", max: maxIndex)
            let raw = try r.byte("outcome")
            guard let outcome = FileOutcome(rawValue: raw) else { throw .malformed("fileEnd outcome \(raw)") }
            message = .fileEnd(fileIndex: index, outcome: outcome)
        case .idNames:
            let count = try r.varint("id count", max: limits.maxIDNames)
            guard count <= r.remaining / 3 else { throw .truncated("idNames (\(count) announced in \(r.remaining) bytes)") }
            var names: [IDName] = []
            names.reserveCapacity(count)
            for _ in 0..<count {
                let kind = try r.byte("id kind")
                guard kind <= 1 else { throw .malformed("idNames kind \(kind)") }
                let id = try r.uint32("id")
                let name = try r.blob("id name", max: 255)
                guard !name.isEmpty, !name.contains(0) else { throw .malformed("idNames: empty name or NUL for id \(id)") }
                names.append(IDName(isGroup: kind == 1, id: id, name: name))
            }
            message = .idNames(names)
        case .itemize:
            let name = try r.blob("name", max: limits.maxPathLength)
            try PathValidation.validateRelativePath(name, allowsRoot: true, limits: limits)
            let rawKind = try r.byte("kind")
            guard let kind = FileKind(rawValue: rawKind) else { throw .malformed("itemize: file kind \(rawKind)") }
            let flags = try r.uint32("flags")
            guard flags & ~ItemizeRecord.knownFlags == 0 else {
                throw .malformed("itemize flags 0x\(String(flags, radix: 16))")
            }
            var item = ItemizedChange(name: name, kind: kind, flags: ItemizeFlags(rawValue: flags))
            item.size = Int64(try r.varint("size", max: Int(Int64.max)))
            let seconds = try r.signedVarint("mtime")
            item.mtime = FileTime(seconds: seconds, nanoseconds: Int64(try r.varint("nanoseconds", max: 999_999_999)))
            item.permissions = try r.uint32("permissions")
            item.uid = try r.uint32("uid")
            item.gid = try r.uint32("gid")
            let present = try r.byte("optional fields")
            guard present & ~3 == 0 else { throw .malformed("itemize optional fields 0x\(String(present, radix: 16))") }
            if present & 1 != 0 { item.symlinkTarget = try r.blob("symlink target", max: limits.maxSymlinkTargetLength) }
            if present & 2 != 0 { item.hardLinkLeader = try r.blob("hard-link leader", max: limits.maxPathLength) }
            item.bytesTransferred = Int64(try r.varint("bytes transferred", max: Int(Int64.max)))
            message = .itemize(ItemizeRecord(item))
        case .deleted:
            let raw = try r.byte("kind")
            guard let kind = FileKind(rawValue: raw) else { throw .malformed("deleted: file kind \(raw)") }
            let name = Array(try r.take(r.remaining, "name"))
            try PathValidation.validateRelativePath(name, limits: limits)
            message = .deleted(name: name, kind: kind)
        case .log:
            let rawKind = try r.byte("kind")
            guard let kind = LogKind(rawValue: rawKind) else { throw .malformed("log kind \(rawKind)") }
            let roleByte = try r.byte("role")
            let role = try LogMessage.role(from: roleByte & ~LogMessage.bareFlag)
            let text = try Self.text(&r, limits: limits)
            message = .log(LogMessage(kind, text, role: role, isPrefixed: roleByte & LogMessage.bareFlag == 0))
        case .abort:
            let status = try Self.status(&r)
            guard status != .success else { throw .malformed("abort with exit status 0") }
            let flags = try r.byte("abort flags")
            guard flags <= 1 else { throw .malformed("abort flags \(flags)") }
            message = .abort(status: status, message: try Self.text(&r, limits: limits), isPrefixed: flags == 0)
        case .done:
            message = .done
        case .keepalive:
            message = .keepalive
        case .stats:
            message = .stats(try WireStats.decode(&r))
        case .goodbye:
            message = .goodbye(status: try Self.status(&r))
        }
        try r.finish()
        return message
    }

    private static func status(_ r: inout PayloadReader) throws(ProtocolError) -> ExitStatus {
        let raw = try r.varint("exit status", max: 255)
        guard let status = ExitStatus(rawValue: Int32(raw)) else { throw .malformed("unknown exit status \(raw)") }
        return status
    }

    private static func text(_ r: inout PayloadReader, limits: ProtocolLimits) throws(ProtocolError) -> String {
        guard r.remaining <= limits.maxLogTextLength else {
            throw .limit("message text of \(r.remaining) bytes (limit \(limits.maxLogTextLength))")
        }
        // Invalid UTF-8 becomes U+FFFD: the text is for display only.
        return String(decoding: try r.take(r.remaining, "text"), as: UTF8.self)
    }

    /// At most `limit` bytes of `text`, cut on a character boundary.
    static func cut(_ text: String, to limit: Int) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count > limit else { return utf8 }
        var end = limit
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(utf8[0..<end])
    }
}
