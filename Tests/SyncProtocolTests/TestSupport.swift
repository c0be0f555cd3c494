import SyncCore
import Testing
@testable import SyncProtocol

func entry(_ name: String, _ mode: UInt32, size: Int64 = 0, nsec: Int64 = 0, target: String? = nil,
    group: UInt64? = nil, rdev: UInt64 = 0, implied: Bool = false) -> WireFileEntry
{
    WireFileEntry(name: Array(name.utf8), mode: mode, size: size,
        mtime: FileTime(seconds: 1_700_000_000, nanoseconds: nsec), uid: 1000, gid: 100, rdev: rdev,
        symlinkTarget: target.map { Array($0.utf8) }, hardLinkGroup: group, isImpliedDirectory: implied)
}

let regular: UInt32 = 0o100644
let directory: UInt32 = 0o040755

/// One of each message, with awkward values (times before 1970, nanoseconds, large numbers, bytes ≥ 0x80).
let sampleMessages: [Message] = {
    var stats = TransferStats()
    stats.files.regular = 3
    stats.files.directory = 2
    stats.deleted.symlink = 1
    stats.totalFileSize = 1 << 40
    stats.literalData = 12345
    stats.fileListGenerationSeconds = 0.25
    stats.bytesSent = 99
    return [
        .fileListChunk(FileListChunk(directoryIndex: nil, entries: [
            entry(".", directory), entry("a", regular, size: 5), entry("b", directory, implied: true),
        ])),
        .fileListChunk(FileListChunk(directoryIndex: 7, continues: true, entries: [
            entry("file001", regular, size: 1 << 33, nsec: 123_456_789, group: 4),
            entry("file002", 0o120777, target: "../../etc/passwd"),
            entry("dev", 0o020600, rdev: 0x0801), entry("fifo", 0o010644), entry("sock", 0o140755),
            entry("blk", 0o060660, rdev: UInt64.max), entry("\u{e9}t\u{e9}", regular),
            WireFileEntry(name: Array("old".utf8), mode: regular, mtime: FileTime(seconds: -86400 * 365), uid: UInt32.max,
                gid: UInt32.max),
            entry("sub", directory),
        ])),
        .fileListChunk(FileListChunk(directoryIndex: 0, entries: [])),
        .fileListDone(ioError: false),
        .fileListDone(ioError: true),
        .idNames([IDName(isGroup: false, id: 1000, name: Array("alice".utf8)),
            IDName(isGroup: true, id: 100, name: Array("users".utf8))]),
        .request(FileRequest(fileIndex: 0)),
        .request(FileRequest(fileIndex: 123_456, signatureLength: 70_000)),
        .signature(fileIndex: 3, bytes: [1, 2, 3, 0xff]),
        .delta(fileIndex: 3, bytes: Array(0...255)),
        .fileEnd(fileIndex: 3, outcome: .complete),
        .fileEnd(fileIndex: 4, outcome: .vanished),
        .fileEnd(fileIndex: 5, outcome: .failed),
        .received(fileIndex: 6),
        .release(FileRelease(below: 300)),
        .release(FileRelease(below: 70_000, keeping: [5, 17, 69_999])),
        .taken(upTo: 1024),
        .itemize(ItemizeRecord(ItemizedChange(name: Array("dir/file".utf8), kind: .regular,
            flags: [.transfer, .reportSize, .reportTime], size: 42, mtime: FileTime(seconds: 1_700_000_000),
            permissions: 0o644, uid: 1000, gid: 1000))),
        .itemize(ItemizeRecord({
            var item = ItemizedChange(name: Array("b".utf8), kind: .regular, flags: [.localChange, .hardLinkName])
            item.hardLinkLeader = Array("a".utf8)
            return item
        }())),
        .deleted(name: Array("dir/old file".utf8), kind: .regular),
        .log(LogMessage(.info, "sending incremental file list")),
        .log(LogMessage(.errorTransfer, "open \"/x\" failed: Permission denied (13)", role: .sender)),
        .log(LogMessage(.warning, "some files vanished", role: .generator)),
        .log(LogMessage(.log, "", role: .client)),
        .abort(status: .fileIO, message: "write failed: No space left on device (28)"),
        .done,
        .stats(WireStats(stats)),
        .stats(WireStats(TransferStats())),
        .goodbye(status: .success),
        .goodbye(status: .partial),
        .setup(.rule(kind: .exclude, value: Array("*.o".utf8))),
        .setup(.file(name: Array("rules.txt".utf8), length: 12)),
        .setup(.source(Array("src/./a b".utf8))),
        .setup(.end(replacesSources: true)),
        .fileList(.begin(length: 9)),
        .progress(counter: 1 << 40),
        .keepalive,
    ]
}()

func encodeAll(_ messages: [Message], maxPayload: Int = ProtocolLimits.standard.maxFramePayload) -> [UInt8] {
    let encoder = MessageEncoder(maxPayload: maxPayload)
    var out: [UInt8] = []
    for message in messages { encoder.encode(message, into: &out) }
    return out
}

/// Decodes every message in `bytes`, fed in pieces of `step` bytes.
func decodeAll(_ bytes: [UInt8], step: Int = .max, limits: ProtocolLimits = .standard) throws -> [Message] {
    var decoder = MessageDecoder(limits: limits)
    var result: [Message] = []
    var i = 0
    repeat {
        let end = min(bytes.count, i + max(1, min(step, bytes.count)))
        decoder.feed(bytes[i..<end])
        i = end
        while let message = try decoder.next() { result.append(message) }
    } while i < bytes.count
    try decoder.finishInput()
    return result
}

func expectProtocolError(_ code: ProtocolError.Code, _ body: () throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation)
{
    do {
        try body()
        Issue.record("expected \(code), got no error", sourceLocation: sourceLocation)
    } catch let error as ProtocolError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ProtocolError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
