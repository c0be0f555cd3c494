import SyncTestSupport
import Testing
@testable import SyncCore

/// `--inplace`: the basis is the destination, so copies must not read what was already overwritten.
@Suite("Delta: in-place updates", .tags(.small))
struct DeltaInPlaceTests {
    /// Swapping the two halves: without the in-place rule the second half's copy reads overwritten bytes.
    @Test func overlappingMoveConflictsAndIsRewritten() throws {
        var rng = SeededRandom(seed: 11)
        let a = rng.bytes(400), b = rng.bytes(400)
        let basis = a + b
        let new = b + a
        let trip = DeltaRoundTrip(basis: basis, new: new, blockLength: 100, rng: &rng)
        let geometry = trip.signature.geometry
        #expect(trip.instructions == [.copy(blockIndex: 4, count: 4), .copy(blockIndex: 0, count: 4)])
        #expect(InPlace.conflicts(in: trip.instructions, geometry: geometry)
            == [InPlace.Conflict(instruction: 1, writeOffset: 400)])
        // Applied naively in place, the result is wrong.
        #expect(try patchInPlace(basis, geometry: geometry, instructions: trip.instructions) != new)
        let rewritten = try InPlace.rewrite(trip.instructions, geometry: geometry, maxLiteralLength: 150) { offset, into in
            for k in 0..<into.count { into[k] = basis[offset + k] }
        }
        #expect(InPlace.conflicts(in: rewritten, geometry: geometry).isEmpty)
        #expect(try patchInPlace(basis, geometry: geometry, instructions: rewritten) == new)
    }

    /// Moving data towards the start (each source block after its destination, ranges overlapping) is safe.
    @Test func forwardOverlapIsSafe() throws {
        var rng = SeededRandom(seed: 12)
        let basis = rng.bytes(1000)
        let new = Array(basis[100...]) + rng.bytes(7)
        let trip = DeltaRoundTrip(basis: basis, new: new, blockLength: 50, rng: &rng)
        #expect(trip.instructions.first == .copy(blockIndex: 2, count: 18))
        #expect(InPlace.conflicts(in: trip.instructions, geometry: trip.signature.geometry).isEmpty)
        #expect(try patchInPlace(basis, geometry: trip.signature.geometry, instructions: trip.instructions) == new)
    }

    /// Random moves, repeats and shuffles: the generator's in-place rule never makes a conflicting copy,
    /// and both approaches rebuild the file in place.
    @Test func randomEditsApplyInPlace() throws {
        for seed in UInt64(0)..<300 {
            var rng = SeededRandom(seed: seed &+ 777)
            let edit = [DeltaPropertyTests.Edit.move, .repeatBlock, .shuffleBlocks, .insert, .delete, .prepend,
                .truncate, .allEqual, .boundarySize].randomElement(using: &rng)!
            let (basis, new, blockLength) = DeltaPropertyTests.makeCase(edit, rng: &rng)
            let safe = DeltaRoundTrip(basis: basis, new: new, blockLength: blockLength, inPlace: true, rng: &rng)
            let geometry = safe.signature.geometry
            #expect(InPlace.conflicts(in: safe.instructions, geometry: geometry).isEmpty, "seed \(seed)")
            #expect(try patchInPlace(basis, geometry: geometry, instructions: safe.instructions) == new, "seed \(seed)")

            let plain = DeltaRoundTrip(basis: basis, new: new, blockLength: blockLength, rng: &rng)
            let rewritten = try InPlace.rewrite(plain.instructions, geometry: geometry) { offset, into in
                for k in 0..<into.count { into[k] = basis[offset + k] }
            }
            #expect(try patchInPlace(basis, geometry: geometry, instructions: rewritten) == new, "seed \(seed)")
        }
    }
}
