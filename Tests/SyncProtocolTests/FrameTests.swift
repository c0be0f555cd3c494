import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

@Suite("Frames", .tags(.small))
struct FrameTests {
    @Test func headerLayout() throws {
        var out: [UInt8] = []
        FrameEncoder.append(type: .delta, payload: [0xAA, 0xBB, 0xCC], to: &out)
        #expect(out == [0x12, 0x00, 3, 0, 0, 0, 0xAA, 0xBB, 0xCC])
        var decoder = FrameDecoder()
        decoder.feed(out)
        #expect(try decoder.next() == Frame(type: .delta, payload: [0xAA, 0xBB, 0xCC]))
        #expect(try decoder.next() == nil)
        try decoder.finishInput()
    }

    @Test func splitAtEveryByteBoundary() throws {
        var bytes: [UInt8] = []
        let frames = [Frame(type: .keepalive, payload: []), Frame(type: .delta, payload: Array(0..<200)),
            Frame(type: .done, payload: [])]
        for frame in frames { FrameEncoder.append(frame, to: &bytes) }
        for cut in 0...bytes.count {
            var decoder = FrameDecoder()
            var got: [Frame] = []
            decoder.feed(bytes[..<cut])
            while let frame = try decoder.next() { got.append(frame) }
            decoder.feed(bytes[cut...])
            while let frame = try decoder.next() { got.append(frame) }
            #expect(got == frames, "cut at \(cut)")
            try decoder.finishInput()
        }
        // One byte at a time.
        var decoder = FrameDecoder()
        var got: [Frame] = []
        for byte in bytes {
            decoder.feed([byte])
            while let frame = try decoder.next() { got.append(frame) }
        }
        #expect(got == frames)
    }

    @Test func oversizedLengthIsRejectedFromTheHeader() {
        var decoder = FrameDecoder(maxPayload: 16 * 1024)
        decoder.feed([0x12, 0x00, 0x01, 0x40, 0x00, 0x00])  // 16385 bytes announced, none sent
        expectProtocolError(.limitExceeded) { _ = try decoder.next() }
        var huge = FrameDecoder()
        huge.feed([0x12, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        expectProtocolError(.limitExceeded) { _ = try huge.next() }
    }

    @Test func truncatedFrame() throws {
        var decoder = FrameDecoder()
        decoder.feed([0x12, 0x00, 10, 0, 0, 0, 1, 2, 3])
        #expect(try decoder.next() == nil)
        expectProtocolError(.truncated) { try decoder.finishInput() }
        var header = FrameDecoder()
        header.feed([0x30, 0x00, 0])
        #expect(try header.next() == nil)
        expectProtocolError(.truncated) { try header.finishInput() }
    }

    @Test(arguments: [UInt8(0x00), 0x04, 0x1F, 0x40, 0x7F, 0xFF])
    func unknownTypeIsRejected(type: UInt8) {
        var decoder = FrameDecoder()
        decoder.feed([type, 0, 0, 0, 0, 0])
        expectProtocolError(.unknownMessage) { _ = try decoder.next() }
    }

    @Test func unknownFlagsAndUnnegotiatedCompressionAreRejected() {
        var decoder = FrameDecoder()
        decoder.feed([0x30, 0x02, 0, 0, 0, 0])
        expectProtocolError(.malformed) { _ = try decoder.next() }
        var plain = FrameDecoder(allowsCompression: false)
        plain.feed([0x12, 0x01, 1, 0, 0, 0, 0])
        expectProtocolError(.malformed) { _ = try plain.next() }
    }

    @Test func errorsMapToExitCodes() {
        #expect(ProtocolError(.malformed, "x").syncError.status == .streamIO)
        #expect(ProtocolError(.unsafePath, "x").exitStatus == .streamIO)
        #expect(ProtocolError(.garbageBeforeHello, "x").syncError.status == .protocolIncompatibility)
        #expect(ProtocolError(.versionMismatch, "x").exitStatus == .protocolIncompatibility)
        #expect(SyncError.protocolError(ProtocolError(.truncated, "x")).status.rawValue == 12)
    }
}
