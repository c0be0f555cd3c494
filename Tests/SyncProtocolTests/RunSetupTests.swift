import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// The client's run setup (Docs/protocol.md, "Setup"): rules, rules files with any bytes in them, a pull's
/// sources; split over frames and put back together; every bound and order checked on the receiving side.
@Suite("Run setup", .tags(.small))
struct RunSetupTests {
    static let hostileFile: [UInt8] = Array("foo".utf8) + [0] + Array("bar\n$(rm -rf ~)\n`id`\n'\n\"\n".utf8)
        + [0, 0xFF, 0x0A]

    static let setup = RunSetup(
        rules: [RunSetup.Rule(.exclude, Array("*.o".utf8)), RunSetup.Rule(.excludeFrom, Array("rules".utf8)),
            RunSetup.Rule(.perDirectoryFilter, []), RunSetup.Rule(.filter, Array("merge more".utf8))],
        files: [RunSetup.File(name: Array("rules".utf8), content: hostileFile),
            RunSetup.File(name: Array("more".utf8), content: Array(repeating: 0x41, count: 100_000)),
            RunSetup.File(name: Array("empty".utf8), content: [])],
        sources: [Array("src/./it's".utf8), Array("src/./a b".utf8)])

    static func assemble(_ messages: [Message]) throws -> RunSetup? {
        var assembler = RunSetupAssembler()
        var result: RunSetup?
        for message in try decodeAll(encodeAll(messages, maxPayload: 16 * 1024), step: 777) {
            guard case .setup(let part) = message else { Issue.record("not a setup message: \(message)"); continue }
            result = try assembler.accept(part)
        }
        return result
    }

    @Test func roundTripsOverSmallFrames() throws {
        let messages = Self.setup.messages(maxPayload: 16 * 1024)
        #expect(messages.count > 8, "the 100 kB file is split")
        #expect(try Self.assemble(messages) == Self.setup)
        #expect(Self.setup.problem() == nil)
        #expect(try Self.assemble(RunSetup().messages(maxPayload: 16 * 1024)) == RunSetup())
        // An empty --files-from list still replaces the command line's sources.
        let none = RunSetup(sources: [])
        #expect(try Self.assemble(none.messages(maxPayload: 16 * 1024))?.sources == [])
    }

    @Test func refusesBadSequences() throws {
        let file = SetupPart.file(name: Array("f".utf8), length: 4)
        let cases: [([SetupPart], ProtocolError.Code)] = [
            ([.fileData([1])], .outOfSequence),  // data without a file
            ([file, .fileData([1, 2, 3, 4, 5])], .outOfSequence),  // more than announced
            ([file, .fileData([1]), .rule(kind: .exclude, value: [])], .outOfSequence),  // file cut short
            ([file, .end(replacesSources: false)], .outOfSequence),
            ([.end(replacesSources: false), .end(replacesSources: false)], .outOfSequence),  // after the end
            ([.source(Array("a".utf8)), .end(replacesSources: false)], .malformed),  // sources that replace nothing
            ([.file(name: Array("f".utf8), length: RunSetup.maxTotalBytes)], .limitExceeded),  // over the budget
        ]
        for (parts, code) in cases {
            expectProtocolError(code) {
                var assembler = RunSetupAssembler()
                for part in parts { _ = try assembler.accept(part) }
            }
        }
    }

    @Test func refusesBadPayloads() {
        let cases: [([UInt8], ProtocolError.Code)] = [
            ([9], .malformed),  // unknown part
            ([0, 7], .malformed),  // unknown rule kind
            ([0, 2, 0x61, 0, 0x62], .malformed),  // NUL in a rule
            ([0, 5, 0x61], .malformed),  // -F with a value
            ([0, 4], .malformed),  // --exclude-from without a name
            ([1, 0x04], .malformed),  // a file without a name
            ([1, 0x80, 0x80, 0x80, 0x80, 0x02, 0x61], .limitExceeded),  // a 512 MiB file
            ([2], .malformed),  // empty data
            ([3], .malformed),  // empty source
            ([3, 0x61, 0, 0x62], .malformed),  // NUL in a source
            ([4, 2], .malformed),  // end flags
            ([0, 2] + Array(repeating: 0x61, count: RunSetup.maxRuleLength + 1), .limitExceeded),
        ]
        for (payload, code) in cases {
            expectProtocolError(code) { _ = try Message.decode(type: .setup, payload: payload) }
        }
    }

    @Test func fileDataKeepsEveryByte() throws {
        let message = Message.setup(.fileData(Self.hostileFile))
        #expect(try Message.decode(type: .setup, payload: message.encodePayload()) == message)
    }

    @Test func tooLongRuleIsTheClientsProblem() {
        let setup = RunSetup(rules: [RunSetup.Rule(.exclude, Array(repeating: 0x61, count: RunSetup.maxRuleLength + 1))])
        #expect(setup.problem() != nil)
    }
}
