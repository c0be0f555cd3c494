#if canImport(Glibc)
import Glibc
#endif
import SyncCore
import SyncProtocol

// Fuzz targets for what a peer (or a rules file) feeds swsync: Scripts/fuzz builds this with libFuzzer.
// The target comes from SWSYNC_FUZZ_TARGET:
//   frame     FrameDecoder fed in pieces whose sizes come from the input
//   message   Message.decode: byte 0 is the message type, the rest its payload
//   filelist  file-list chunks decoded and resolved by a FileListTracker, chunk after chunk
//   filter    the filter-rule parser on the input as one rule per line, then a few matches
// A normal build replays the files named on the command line (a corpus, a crash), as DeltaFuzz does.

enum Target: String, CaseIterable { case frame, message, filelist, filter }

let target: Target = {
    guard let name = getenv("SWSYNC_FUZZ_TARGET"), let target = Target(rawValue: String(cString: name)) else {
        return .frame
    }
    return target
}()

/// Splits `body` into pieces: each piece's length is its first byte (plus one).
func pieces(_ body: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var index = body.startIndex
    while index < body.endIndex {
        let length = Int(body[index]) + 1
        let start = index + 1
        let end = min(body.endIndex, start + length)
        result.append(body[start..<end])
        index = end
    }
    return result
}

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    let bytes = Array(data)
    switch target {
    case .frame:
        var decoder = FrameDecoder(maxPayload: 1 << 16, allowsCompression: bytes.first.map { $0 & 1 == 1 } ?? false)
        for piece in pieces(bytes.dropFirst()) {
            decoder.feed(piece)
            while true {
                guard let frame = try? decoder.next() else { break }
                _ = try? Message.decode(frame)
            }
        }
    case .message:
        guard let first = bytes.first, let type = MessageType(rawValue: first) else { return }
        _ = try? Message.decode(type: type, payload: Array(bytes.dropFirst()))
    case .filelist:
        var tracker = FileListTracker()
        for piece in pieces(bytes[...]) {
            guard let message = try? Message.decode(type: .fileListChunk, payload: Array(piece)),
                case .fileListChunk(let chunk) = message
            else { continue }
            guard (try? tracker.accept(chunk)) != nil else { return }
        }
        _ = try? tracker.finish()
    case .filter:
        let text = String(decoding: bytes, as: UTF8.self)
        let options = text.split(separator: "\n", omittingEmptySubsequences: true).prefix(64).map {
            FilterOption(.filter, String($0))
        }
        let none: FilterFileLoader = { (_: [UInt8]) throws(SyncError) -> [UInt8]? in nil }
        guard let list = try? FilterList(options: options, load: none) else { return }
        for path in ["a", "a/b/c.txt", ".hidden", "dir/", "x/y/z/deep.gz"] {
            _ = list.check(Array(path.utf8), isDirectory: path.hasSuffix("/"), side: .sender)
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// Valid inputs for each target, made with the real encoders: `ProtocolFuzz --write-seeds DIR` writes
/// them into DIR/<target>/ (the seed corpora in Tests/FuzzCorpus were made so).
func seeds() -> [Target: [[UInt8]]] {
    let time = FileTime(seconds: 1_234_567_890, nanoseconds: 5)
    let chunk = FileListChunk(directoryIndex: nil, entries: [
        WireFileEntry(name: Array(".".utf8), mode: 0o040755, mtime: time),
        WireFileEntry(name: Array("a.txt".utf8), mode: 0o100644, size: 12, mtime: time, uid: 1000, gid: 1000),
        WireFileEntry(name: Array("sub".utf8), mode: 0o040700, mtime: time),
    ])
    let child = FileListChunk(directoryIndex: 2, entries: [
        WireFileEntry(name: Array("b.bin".utf8), mode: 0o100600, size: 70_000, mtime: time),
    ])
    let messages: [Message] = [
        .fileListChunk(chunk), .fileListDone(ioError: false), .request(FileRequest(fileIndex: 1, signatureLength: 24)),
        .delta(fileIndex: 1, bytes: [1, 2, 3]), .fileEnd(fileIndex: 1, outcome: .complete),
        .deleted(name: Array("old".utf8), kind: .regular), .abort(status: .partial, message: "x"), .done,
        .goodbye(status: .success), .progress(counter: 7), .keepalive,
    ]
    var frames: [UInt8] = [0]
    for message in messages {
        var frame: [UInt8] = []
        FrameEncoder.append(Frame(type: message.type, payload: message.encodePayload()), to: &frame)
        frames.append(UInt8(min(frame.count - 1, 255)))
        frames += frame
    }
    var fileList: [UInt8] = []
    for part in [chunk, child] {
        let payload = Message.fileListChunk(part).encodePayload()
        fileList.append(UInt8(min(payload.count - 1, 255)))
        fileList += payload
    }
    return [
        .frame: [frames],
        .message: messages.map { [$0.type.rawValue] + $0.encodePayload() },
        .filelist: [fileList],
        .filter: ["- *.o\n+ /src/**\n- *\n", "P .git/\n:- .rsync-filter\nH *~\n", "-! */\n+ a/b/c/deep.txt\n",
            "merge rules\n. other\n-C\n"].map { Array($0.utf8) },
    ]
}

#if !PROTOCOL_FUZZ
@main
struct ReplayInputs {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.count == 2 && arguments[0] == "--write-seeds" {
            for (target, inputs) in seeds() {
                let directory = arguments[1] + "/" + target.rawValue
                mkdir(directory, 0o755)
                for (index, input) in inputs.enumerated() {
                    guard let file = fopen(directory + "/seed-\(index)", "wb") else { continue }
                    _ = input.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                    fclose(file)
                }
            }
            return
        }
        for path in arguments {
            guard let file = fopen(path, "rb") else { continue }
            var content: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { break }
                content += buffer[0..<count]
            }
            fclose(file)
            content.withUnsafeBytes { fuzzOne($0) }
        }
    }
}
#endif
