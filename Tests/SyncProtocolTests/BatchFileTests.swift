import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// The batch file codec (`--write-batch`/`--read-batch`): header and records round trip; a batch cut
/// short, padded, or holding counts and kinds a batch never holds is refused, never trusted.
@Suite("Batch files", .tags(.small))
struct BatchFileTests {
    static let header = BatchHeader(flags: [.recursive, .links, .owner, .atimes], checksum: .xxh3)

    static var messages: [Message] {
        let file = WireFileEntry(name: Array("f".utf8), mode: 0o100644, size: 3, mtime: FileTime(seconds: 10))
        let chunk = FileListChunk(directoryIndex: nil, entries: [file])
        return [
            .idNames([IDName(isGroup: false, id: 1000, name: Array("user".utf8))]),
            .fileListChunk(chunk), .fileListDone(ioError: false),
            .delta(fileIndex: 0, bytes: [1, 2, 3]), .fileEnd(fileIndex: 0, outcome: .complete),
            .stats(WireStats(TransferStats())),
        ]
    }

    static func batch(_ messages: [Message], done: Bool = true) -> [UInt8] {
        var bytes = header.encode()
        let encoder = MessageEncoder(maxPayload: ProtocolLimits.standard.maxFramePayload)
        for message in messages + (done ? [.done] : []) { encoder.encode(message, into: &bytes) }
        return bytes
    }

    static func decodeAll(_ bytes: [UInt8]) throws(ProtocolError) -> [Message] {
        guard let (header, length) = try BatchHeader.decode(bytes) else { throw ProtocolError(.truncated, "header") }
        #expect(header == Self.header)
        var decoder = BatchDecoder()
        decoder.feed(bytes[length...])
        var messages: [Message] = []
        while let message = try decoder.next() { messages.append(message) }
        try decoder.finishInput()
        return messages
    }

    @Test func roundTrip() throws {
        #expect(try Self.decodeAll(Self.batch(Self.messages)) == Self.messages + [.done])
    }

    @Test func headerNeedsMoreBytesUntilWhole() throws {
        let bytes = Self.header.encode()
        for length in 0..<bytes.count { #expect(try BatchHeader.decode(Array(bytes[0..<length])) == nil) }
        #expect(try BatchHeader.decode(bytes)?.length == bytes.count)
    }

    @Test(arguments: [
        Array("garbage!".utf8), [0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48, 9, 0, 1],  // another version
        [0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48, 1, 0x80, 0x80, 0x80, 0x01, 1],  // unknown flag bit
        [0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48, 1, 0, 99],  // unknown checksum
        [0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
    ] as [[UInt8]])
    func badHeaderIsRefused(_ bytes: [UInt8]) {
        #expect(throws: ProtocolError.self) { try BatchHeader.decode(bytes) }
    }

    /// Every cut of a batch is refused at its end: inside a frame, or before the end record.
    @Test func everyTruncationIsRefused() {
        let bytes = Self.batch(Self.messages)
        let headerLength = Self.header.encode().count
        for length in headerLength..<bytes.count {
            #expect(throws: ProtocolError.self) { try Self.decodeAll(Array(bytes[0..<length])) }
        }
    }

    @Test func batchWithoutItsEndIsTruncated() {
        #expect(throws: ProtocolError(.truncated, "truncated batch file (no end record)")) {
            try Self.decodeAll(Self.batch(Self.messages, done: false))
        }
    }

    @Test func nothingMayFollowTheEnd() {
        var bytes = Self.batch(Self.messages)
        FrameEncoder.append(type: .fileListDone, payload: [0], to: &bytes)
        #expect(throws: ProtocolError.self) { try Self.decodeAll(bytes) }
    }

    @Test func countsComeOnce() {
        #expect(throws: ProtocolError.self) {
            try Self.decodeAll(Self.batch(Self.messages + [.stats(WireStats(TransferStats()))]))
        }
    }

    /// Messages of the other direction, or of a session, have no place in a batch.
    @Test(arguments: [Message.request(FileRequest(fileIndex: 0)), .goodbye(status: .success), .keepalive,
        .received(fileIndex: 0), .release(FileRelease(below: 1)), .taken(upTo: 1)])
    func otherMessagesAreRefused(_ message: Message) {
        #expect(throws: ProtocolError.self) { try Self.decodeAll(Self.batch([message])) }
    }

    /// A frame claiming more than the frame limit, and a chunk claiming more entries than it holds,
    /// are refused before anything is allocated for them.
    @Test func hostileLengthsAndCountsAreRefused() {
        var frame = Self.header.encode()
        frame += [MessageType.delta.rawValue, 0, 0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: ProtocolError.self) { try Self.decodeAll(frame) }
        var chunk = Self.header.encode()
        // Root chunk, no flags, 2^31 entries, and nothing else.
        FrameEncoder.append(type: .fileListChunk, payload: [0, 0, 0x80, 0x80, 0x80, 0x80, 0x08], to: &chunk)
        #expect(throws: ProtocolError.self) { try Self.decodeAll(chunk) }
    }
}
