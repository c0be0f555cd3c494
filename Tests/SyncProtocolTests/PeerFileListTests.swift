import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// A push's `--files-from=host:FILE` list on its way from the server to the client (Docs/protocol.md, "Peer
/// file list"): every byte kept, split over frames and put back together; lengths and order checked.
@Suite("Peer file list", .tags(.small))
struct PeerFileListTests {
    static func assemble(_ messages: [Message]) throws -> [UInt8]? {
        var assembler = PeerFileListAssembler()
        var result: [UInt8]?
        for message in try decodeAll(encodeAll(messages, maxPayload: 16 * 1024), step: 333) {
            guard case .fileList(let part) = message else { Issue.record("not a fileList message: \(message)"); continue }
            result = try assembler.accept(part)
        }
        return result
    }

    @Test func roundTripsOverSmallFrames() throws {
        let content = RunSetupTests.hostileFile + Array(repeating: 0x0A, count: 50_000)
        let messages = PeerFileList.messages(content, maxPayload: 16 * 1024)
        #expect(messages.count > 4, "the list is split")
        #expect(try Self.assemble(messages) == content)
        // An empty list is complete at its begin.
        #expect(try Self.assemble(PeerFileList.messages([], maxPayload: 16 * 1024)) == [])
    }

    @Test func refusesBadSequences() {
        let cases: [[FileListPart]] = [
            [.data([1])],  // data before the begin
            [.begin(length: 2), .data([1, 2, 3])],  // more than announced
            [.begin(length: 3), .begin(length: 3)],  // a second begin
        ]
        for parts in cases {
            expectProtocolError(.outOfSequence) {
                var assembler = PeerFileListAssembler()
                for part in parts { _ = try assembler.accept(part) }
            }
        }
    }

    @Test func refusesBadPayloads() {
        let cases: [([UInt8], ProtocolError.Code)] = [
            ([], .truncated),  // no part
            ([2], .malformed),  // unknown part
            ([1], .malformed),  // empty data
            ([0, 0x80, 0x80, 0x80, 0x80, 0x02], .limitExceeded),  // a 512 MiB list
        ]
        for (payload, code) in cases {
            expectProtocolError(code) { _ = try Message.decode(type: .fileList, payload: payload) }
        }
    }
}
