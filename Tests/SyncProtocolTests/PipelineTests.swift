import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

@Suite("Pipelining", .tags(.small))
struct PipelineTests {
    @Test func windowLetsRequestsRunAheadAndChecksOrder() throws {
        var generator = RequestWindow(capacity: 3, signatureBudget: 100)
        var sender = RequestWindow(capacity: 3, signatureBudget: 100)
        for index in [4, 7] {
            let request = FileRequest(fileIndex: index, signatureLength: 40)
            #expect(generator.canIssue(signatureLength: 40))
            generator.issue(request)
            try sender.accept(request)
        }
        #expect(!generator.canIssue(signatureLength: 40))  // 120 bytes > budget
        #expect(generator.canIssue(signatureLength: 0))
        generator.issue(FileRequest(fileIndex: 9))
        try sender.accept(FileRequest(fileIndex: 9))
        #expect(!generator.canIssue(signatureLength: 0))  // 3 outstanding
        expectProtocolError(.limitExceeded) { try sender.accept(FileRequest(fileIndex: 10)) }
        expectProtocolError(.outOfSequence) { try generator.checkReply(fileIndex: 7) }
        try generator.checkReply(fileIndex: 4)
        #expect(try generator.complete(fileIndex: 4).fileIndex == 4)
        #expect(generator.outstandingCount == 2 && generator.outstandingSignatureBytes == 40)
        expectProtocolError(.outOfSequence) { try generator.complete(fileIndex: 9) }
        _ = try generator.complete(fileIndex: 7)
        _ = try generator.complete(fileIndex: 9)
        expectProtocolError(.outOfSequence) { try generator.checkReply(fileIndex: 9) }
        // A lone request may exceed the byte budget.
        #expect(generator.canIssue(signatureLength: 1_000))
    }

    @Test func windowSurvivesManyRequests() throws {
        var window = RequestWindow(capacity: 64)
        for i in 0..<10_000 {
            try window.accept(FileRequest(fileIndex: i))
            if i >= 10 { _ = try window.complete(fileIndex: i - 10) }
        }
        #expect(window.outstandingCount == 10 && window.oldest?.fileIndex == 9990)
    }

    @Test func signatureAssembly() throws {
        let basis = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let signature = basis.withUnsafeBytes { Signature.make(basis: $0, blockLength: 700) }
        let bytes = SignatureCodec.encode(signature)
        let encoder = MessageEncoder(maxPayload: 16 * 1024)
        var stream: [UInt8] = []
        encoder.encode(.request(FileRequest(fileIndex: 2, signatureLength: bytes.count)), into: &stream)
        encoder.encode(.signature(fileIndex: 2, bytes: bytes), into: &stream)
        var assembler = SignatureAssembler()
        var result: Signature?
        for message in try decodeAll(stream, limits: ProtocolLimits(maxFramePayload: 16 * 1024)) {
            switch message {
            case .request(let request): #expect(try !assembler.begin(request))
            case .signature(let index, let piece):
                #expect(result == nil)
                result = try assembler.append(fileIndex: index, piece)
            default: Issue.record("unexpected \(message)")
            }
        }
        #expect(result == signature && !assembler.isCollecting)
        #expect(try assembler.begin(FileRequest(fileIndex: 3)))  // whole file: ready at once
    }

    @Test func signatureAssemblyRefusesBadSequences() throws {
        var a = SignatureAssembler()
        expectProtocolError(.outOfSequence) { _ = try a.append(fileIndex: 1, [1]) }
        _ = try a.begin(FileRequest(fileIndex: 1, signatureLength: 4))
        expectProtocolError(.outOfSequence) { _ = try a.begin(FileRequest(fileIndex: 2)) }
        expectProtocolError(.outOfSequence) { _ = try a.append(fileIndex: 2, [1]) }
        expectProtocolError(.malformed) { _ = try a.append(fileIndex: 1, [1, 2, 3, 4, 5]) }
        var b = SignatureAssembler()
        _ = try b.begin(FileRequest(fileIndex: 1, signatureLength: 4))
        expectProtocolError(.delta) { _ = try b.append(fileIndex: 1, [1, 2, 3, 4]) }
    }
}
