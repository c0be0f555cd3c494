/// A `--files-from` list read on the server of a push (`--files-from=host:FILE`, rsync's `filesfrom_host`)
/// and sent to the client, whose sender takes its source names from it (Docs/protocol.md, "Peer file
/// list"). The bytes are the file's, unchanged: the client splits them into names and cleans each one
/// as it does a list of its own, so nothing here is trusted beyond its length.
public enum PeerFileList {
    /// Longest list: the budget of a client's setup, which carries a pull's local list the other way.
    public static let maxLength = RunSetup.maxTotalBytes

    /// The messages that carry `content`, each payload at most `maxPayload` bytes: its length, then
    /// its bytes in pieces.
    public static func messages(_ content: [UInt8], maxPayload: Int) -> [Message] {
        var out: [Message] = [.fileList(.begin(length: content.count))]
        let room = maxPayload - 1
        var start = 0
        while start < content.count {
            let end = min(content.count, start + room)
            out.append(.fileList(.data(Array(content[start..<end]))))
            start = end
        }
        return out
    }
}

/// One `fileList` message (type 0x09, server → client, capability `peerFileList`).
public enum FileListPart: Sendable, Equatable {
    /// The list begins and holds `length` bytes (0...`PeerFileList.maxLength`).
    case begin(length: Int)
    /// The next bytes of the list (at least one).
    case data([UInt8])

    func encode(into w: inout PayloadWriter) {
        switch self {
        case .begin(let length):
            w.byte(0)
            w.varint(length)
        case .data(let bytes):
            w.byte(1)
            w.raw(bytes)
        }
    }

    static func decode(_ r: inout PayloadReader) throws(ProtocolError) -> FileListPart {
        let part = try r.byte("file list part")
        switch part {
        case 0:
            let length = try r.varint("file list length", max: PeerFileList.maxLength)
            return .begin(length: length)
        case 1:
            guard r.remaining > 0 else { throw .malformed("fileList: empty data") }
            return .data(Array(try r.take(r.remaining, "file list data")))
        default:
            throw .malformed("fileList: part \(part)")
        }
    }
}

/// Gathers the server's `fileList` messages: `begin` once, then exactly the announced bytes. The whole
/// length is checked against the limit when it is announced, and no piece may run past it.
public struct PeerFileListAssembler: Sendable {
    private var content: [UInt8] = []
    private var remaining: Int?

    public init() {}

    /// Takes one part; returns the list once its last byte arrived.
    public mutating func accept(_ part: FileListPart) throws(ProtocolError) -> [UInt8]? {
        switch part {
        case .begin(let length):
            guard remaining == nil else { throw .sequence("fileList: a second begin") }
            remaining = length
            content.reserveCapacity(min(length, 1 << 20))
        case .data(let bytes):
            guard let left = remaining else { throw .sequence("fileList: data before its begin") }
            guard bytes.count <= left else {
                throw .sequence("fileList: \(bytes.count) bytes of data where \(left) were left")
            }
            content += bytes
            remaining = left - bytes.count
        }
        return remaining == 0 ? content : nil
    }
}
