import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

@Suite("Messages", .tags(.small))
struct MessageTests {
    @Test func everyTypeHasASample() {
        #expect(Set(sampleMessages.map(\.type)) == Set(MessageType.allCases))
    }

    @Test(arguments: sampleMessages)
    func roundTrip(message: Message) throws {
        let payload = message.encodePayload()
        #expect(try Message.decode(type: message.type, payload: payload) == message)
        #expect(try decodeAll(encodeAll([message])) == [message])
        // Trailing bytes after the last field are refused (where the last field is not "the rest").
        let restOfPayload: Set<MessageType> = [.signature, .delta, .deleted, .log, .abort]
        if !restOfPayload.contains(message.type) { expectProtocolError(.malformed) { _ = try Message.decode(type: message.type, payload: payload + [0]) } }
    }

    @Test func streamSplitAtEveryByteBoundary() throws {
        let bytes = encodeAll(sampleMessages)
        for cut in 0...bytes.count {
            var decoder = MessageDecoder()
            var got: [Message] = []
            decoder.feed(bytes[..<cut])
            while let m = try decoder.next() { got.append(m) }
            decoder.feed(bytes[cut...])
            while let m = try decoder.next() { got.append(m) }
            try decoder.finishInput()
            #expect(got == sampleMessages, "cut at \(cut)")
        }
        #expect(try decodeAll(bytes, step: 1) == sampleMessages)
        #expect(try decodeAll(bytes, step: 7) == sampleMessages)
    }

    @Test func bigPayloadsAreSplitIntoFrames() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let max = 16 * 1024
        let bytes = encodeAll([.delta(fileIndex: 5, bytes: data), .signature(fileIndex: 6, bytes: data)], maxPayload: max)
        var limits = ProtocolLimits.standard
        limits.maxFramePayload = max
        let got = try decodeAll(bytes, limits: limits)
        #expect(got.count > 2)
        var delta: [UInt8] = []
        var signature: [UInt8] = []
        for message in got {
            switch message {
            case .delta(5, let piece): delta += piece
            case .signature(6, let piece): signature += piece
            default: Issue.record("unexpected \(message)")
            }
        }
        #expect(delta == data && signature == data)
    }

    @Test func oversizedFileListChunkIsRechunked() throws {
        let entries = (0..<3000).map { entry("file-\(100_000 + $0)-with-a-longish-name", regular, size: Int64($0)) }
        let max = 16 * 1024
        let bytes = encodeAll([.fileListChunk(FileListChunk(directoryIndex: 2, continues: false, entries: entries))],
            maxPayload: max)
        var limits = ProtocolLimits.standard
        limits.maxFramePayload = max
        let chunks = try decodeAll(bytes, limits: limits).map { message -> FileListChunk in
            guard case .fileListChunk(let chunk) = message else { fatalError() }
            return chunk
        }
        #expect(chunks.count > 1)
        #expect(chunks.dropLast().allSatisfy(\.continues) && !chunks.last!.continues)
        #expect(chunks.flatMap(\.entries) == entries)
        #expect(chunks.allSatisfy { $0.directoryIndex == 2 })
    }

    @Test(arguments: CompressionChoice.allCases)
    func compressedFrames(choice: CompressionChoice) throws {
        let compressor = try FrameCompressor(choice)
        let decompressor = try FrameDecompressor(choice, maxPayload: 64 * 1024)
        let encoder = MessageEncoder(maxPayload: 64 * 1024)
        let text = Array(String(repeating: "the quick brown fox ", count: 20_000).utf8)
        var random = SystemRandomNumberGenerator()
        let noise = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let messages: [Message] = [.delta(fileIndex: 1, bytes: text), .log(LogMessage(.info, "between")),
            .delta(fileIndex: 1, bytes: noise), sampleMessages[1], .done]
        var out: [UInt8] = []
        for message in messages { try encoder.encode(message, into: &out, compressor: compressor) }
        #expect(out.count < text.count + noise.count)
        var decoder = MessageDecoder(limits: ProtocolLimits(maxFramePayload: 64 * 1024), compression: true)
        decoder.feed(out)
        var text2: [UInt8] = []
        var noise2: [UInt8] = []
        var others: [Message] = []
        while let message = try decoder.next(decompressor: decompressor) {
            if case .delta(_, let piece) = message {
                if text2.count < text.count { text2 += piece } else { noise2 += piece }
            } else {
                others.append(message)
            }
        }
        #expect(text2 == text && noise2 == noise)
        #expect(others == [messages[1], messages[3], messages[4]])
    }

    @Test func decompressionBombStopsAtTheFrameLimit() throws {
        let compressor = try FrameCompressor(.zstd)
        let bomb = try compressor.compress([UInt8](repeating: 0, count: 1 << 20))
        #expect(bomb.count < 16 * 1024)
        let decompressor = try FrameDecompressor(.zstd, maxPayload: 16 * 1024)
        expectProtocolError(.compression) {
            _ = try decompressor.decompress(Frame(type: .delta, flags: .compressed, payload: bomb))
        }
        let garbage = try FrameDecompressor(.zlib, maxPayload: 16 * 1024)
        expectProtocolError(.compression) {
            _ = try garbage.decompress(Frame(type: .delta, flags: .compressed, payload: [1, 2, 3, 4, 5, 6, 7, 8]))
        }
        var decoder = MessageDecoder(compression: true)
        var frame: [UInt8] = []
        FrameEncoder.append(type: .delta, flags: .compressed, payload: bomb, to: &frame)
        decoder.feed(frame)
        expectProtocolError(.compression) { _ = try decoder.next() }
    }

    @Test func badFields() {
        let limits = ProtocolLimits.standard
        let cases: [(MessageType, [UInt8], ProtocolError.Code)] = [
            (.fileListDone, [2], .malformed),
            (.fileListDone, [], .truncated),
            (.request, [0x80], .truncated),
            (.request, [0x80, 0x00], .malformed),  // overlong varint
            (.request, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .malformed),
            (.request, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0], .limitExceeded),  // index beyond Int32
            (.request, [0, 0x80, 0x80, 0x80, 0x80, 0x08], .limitExceeded),  // 2 GiB signature
            (.delta, [3], .malformed),
            (.fileEnd, [3, 9], .malformed),
            (.itemize, [1, UInt8(ascii: "a"), 0, 0x80, 0x80, 0x04], .malformed),  // unknown item flag
            (.itemize, [1, UInt8(ascii: "a"), 99], .malformed),  // unknown kind
            (.itemize, [0, 0], .unsafePath),  // empty name
            (.itemize, [2, UInt8(ascii: "."), UInt8(ascii: "."), 0], .unsafePath),
            (.deleted, [9, UInt8(ascii: "a")], .malformed),
            (.deleted, [0] + Array("../etc".utf8), .unsafePath),
            (.deleted, [0], .unsafePath),
            (.log, [9, 0], .malformed),
            (.log, [2, 9], .malformed),
            (.log, [2, 0] + [UInt8](repeating: 0x41, count: limits.maxLogTextLength + 1), .limitExceeded),
            (.abort, [0], .malformed),
            (.idNames, [1, 2, 1, 1, 0x61], .malformed),  // kind 2
            (.idNames, [1, 0, 1, 0], .malformed),  // empty name
            (.idNames, [0x80, 0x80, 0x04], .limitExceeded),  // 65536 names
            (.idNames, [3, 0, 1], .truncated),
            (.abort, [99], .malformed),
            (.goodbye, [0x80, 0x02], .limitExceeded),
            (.stats, [65], .limitExceeded),
            (.stats, [2, 1], .truncated),
            (.done, [0], .malformed),
            (.keepalive, [1], .malformed),
        ]
        for (type, payload, code) in cases {
            expectProtocolError(code) { _ = try Message.decode(type: type, payload: payload, limits: limits) }
        }
    }

    @Test func logTextIsCutOnACharacterBoundary() throws {
        var limits = ProtocolLimits.standard
        limits.maxLogTextLength = 10
        let payload = Message.log(LogMessage(.error, "ééééééé")).encodePayload(limits: limits)
        let decoded = try Message.decode(type: .log, payload: payload, limits: limits)
        #expect(decoded == .log(LogMessage(.error, "ééééé")))
    }

    @Test func logMessagesReachTheObserver() {
        let observer = RecordingObserver()
        LogMessage(.info, "sent 10 bytes").deliver(to: observer)
        LogMessage(.errorTransfer, "open failed", role: .receiver).deliver(to: observer)
        LogMessage(.log, "only for the log file").deliver(to: observer)
        #expect(observer.lines == ["info: sent 10 bytes", "error[receiver]: open failed"])
        #expect(LogKind.allCases.filter(\.isStderr) == [.errorTransfer, .error, .warning, .errorSocket])
    }

    @Test func statsRoundTripAndTolerateOlderAndNewerPeers() throws {
        var stats = TransferStats()
        stats.bytesReceived = 42
        stats.created.device = 2
        let message = Message.stats(WireStats(stats))
        guard case .stats(let back) = try Message.decode(type: .stats, payload: message.encodePayload()) else {
            Issue.record("not stats")
            return
        }
        #expect(back.stats.bytesReceived == 42 && back.stats.created.device == 2)
        // Fewer fields: the rest are 0. More: ignored.
        guard case .stats(let short) = try Message.decode(type: .stats, payload: [1, 7]) else {
            Issue.record("a short stats payload did not decode as stats")
            return
        }
        #expect(short.stats.files.regular == 7 && short.stats.bytesSent == 0)
        let long: [UInt8] = [30] + [UInt8](repeating: 1, count: 30)
        guard case .stats(let newer) = try Message.decode(type: .stats, payload: long) else {
            Issue.record("a long stats payload did not decode as stats")
            return
        }
        #expect(newer.stats.bytesReceived == 1)
    }
}

final class RecordingObserver: TransferObserver {
    var lines: [String] = []
    func report(_ item: ItemizedChange) {}
    func reportDeletion(name: [UInt8], kind: FileKind) {}
    func info(_ text: String) { lines.append("info: \(text)") }
    func error(_ text: String, role: Role?) { lines.append("error[\(role?.rawValue ?? "-")]: \(text)") }
    func transferStarted(name: [UInt8], size: Int64) {}
    func transferProgress(bytes: Int64) {}
    func transferFinished(bytes: Int64) {}
    var isInterrupted: Bool { false }
    var interruptCheck: @Sendable () -> Bool { { false } }
}
