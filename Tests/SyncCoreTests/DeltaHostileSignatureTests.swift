import SyncTestSupport
import Testing
@testable import SyncCore

/// A signature comes from the receiver, which may be hostile. One that gives thousands of blocks the
/// weak sum of the sender's commonest window (all zeros), each with its own strong sum, must not make
/// every position of that data compare against all of them (matching quadratic in the file size).
@Suite("Delta: hostile signatures", .tags(.small))
struct DeltaHostileSignatureTests {
    static let blockLength = 64
    static let blockCount = 20_000

    static func floodedSignature() throws -> (Signature, weak: UInt32) {
        let zeros = [UInt8](repeating: 0, count: blockLength)
        let weak = zeros.withUnsafeBytes { RollingChecksum($0).value }
        var random = SeededRandom(seed: 12084)
        let geometry = BlockGeometry(fileSize: blockLength * blockCount, blockLength: blockLength)
        let signature = try Signature(checksum: .xxh128, geometry: geometry, strongLength: 16,
            weak: [UInt32](repeating: weak, count: blockCount), strong: random.bytes(16 * blockCount))
        return (signature, weak)
    }

    @Test func aFloodOfOneWeakSumIsCappedInTheTable() throws {
        let (signature, weak) = try Self.floodedSignature()
        let table = MatchTable(signature: signature)
        #expect(table.candidateCount(forWeakSum: weak) <= MatchTable.sameWeakSumLimit)
        #expect(table.candidateCount(forWeakSum: weak) > 0)
    }

    /// The delta against the flooded signature is still right: all literals here, rebuilt to the file.
    @Test func theDeltaAgainstAFloodStaysCorrect() throws {
        let (signature, _) = try Self.floodedSignature()
        let newFile = [UInt8](repeating: 0, count: 256 * 1024)
        let (instructions, trailer) = newFile.withUnsafeBytes { DeltaGenerator.delta(signature: signature, newFile: $0) }
        let basis = [UInt8](repeating: 1, count: Self.blockLength * Self.blockCount)
        let rebuilt = try DeltaPatcher.patch(basis: basis, signature: signature, instructions: instructions,
            trailer: trailer)
        #expect(rebuilt == newFile)
    }

    /// rsync's `--debug=deltasum` figures: against the flood each lookup finds the bucket (a hash hit) and
    /// every candidate's strong sum differs (a false alarm), at most `sameWeakSumLimit` of them per hit.
    @Test func theSearchCountsHitsAndFalseAlarms() throws {
        let (signature, _) = try Self.floodedSignature()
        let generator = DeltaGenerator(signature: signature)
        let newFile = [UInt8](repeating: 0, count: 64 * 1024)
        newFile.withUnsafeBytes { generator.append($0) { _ in } }
        _ = generator.finish { _ in }
        let counts = generator.searchCounts
        #expect(counts.hashHits > 60_000)
        #expect(counts.falseAlarms >= counts.hashHits)
        #expect(counts.falseAlarms <= counts.hashHits * Int64(MatchTable.sameWeakSumLimit))
    }

    /// CVE-2024-12085's class (bytes on the wire that the data does not determine, such as an
    /// uninitialised buffer's tail): every byte of an encoded signature after its header is a block's
    /// weak sum or the prefix of that block's own strong digest, and nothing follows them.
    @Test(arguments: [ChecksumChoice.xxh128, .xxh3, .xxh64])
    func everySignatureByteComesFromTheBasis(checksum: ChecksumChoice) throws {
        var random = SeededRandom(seed: 12085)
        let basis = random.bytes(10_000)
        let blockLength = 700
        let signature = basis.withUnsafeBytes { Signature.make(basis: $0, checksum: checksum, blockLength: blockLength) }
        var expected: [UInt8] = []
        for start in stride(from: 0, to: basis.count, by: blockLength) {
            let block = Array(basis[start..<min(start + blockLength, basis.count)])
            let weak = block.withUnsafeBytes { RollingChecksum($0).value }
            expected += (0..<4).map { UInt8(truncatingIfNeeded: weak >> (8 * UInt32($0))) }
            expected += block.withUnsafeBytes { checksum.digest($0) }.bytes.prefix(signature.strongLength)
        }
        let encoded = SignatureCodec.encode(signature)
        #expect(encoded.count > expected.count)
        #expect(Array(encoded.suffix(expected.count)) == expected)
        #expect(try SignatureCodec.decode(encoded) == signature)
    }
}
