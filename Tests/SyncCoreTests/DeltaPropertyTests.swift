import SyncTestSupport
import Testing
@testable import SyncCore

/// patch(basis, delta(signature(basis), new)) == new for random basis/new pairs and every kind of edit.
@Suite("Delta: round-trip properties", .tags(.small))
struct DeltaPropertyTests {
    enum Edit: CaseIterable {
        case none, insert, delete, replace, move, repeatBlock, truncate, append, prepend, empty, emptyBasis,
            boundarySize, allEqual, shuffleBlocks, unrelated
    }

    /// Builds a (basis, new, blockLength) case of the given kind.
    static func makeCase(_ edit: Edit, rng: inout SeededRandom) -> (basis: [UInt8], new: [UInt8], blockLength: Int) {
        let blockLength = [1, 2, 3, 7, 8, 16, 31, 64, 100].randomElement(using: &rng)!
        let alphabet: UInt8 = Bool.random(using: &rng) ? 0 : 3  // small alphabets give weak-sum collisions
        var basis = rng.bytes(Int.random(in: 0...1500, using: &rng), alphabet: alphabet)
        var new = basis
        func spot(_ count: Int) -> Int { Int.random(in: 0...count, using: &rng) }
        switch edit {
        case .none: break
        case .insert:
            new.insert(contentsOf: rng.bytes(Int.random(in: 1...80, using: &rng)), at: spot(new.count))
        case .delete:
            if !new.isEmpty {
                let at = spot(new.count - 1)
                new.removeSubrange(at..<min(new.count, at + Int.random(in: 1...80, using: &rng)))
            }
        case .replace:
            if !new.isEmpty {
                let at = spot(new.count - 1)
                let end = min(new.count, at + Int.random(in: 1...40, using: &rng))
                new.replaceSubrange(at..<end, with: rng.bytes(end - at))
            }
        case .move:
            if new.count > 2 {
                let at = spot(new.count - 2)
                let end = Int.random(in: (at + 1)...new.count, using: &rng)
                let piece = Array(new[at..<end])
                new.removeSubrange(at..<end)
                new.insert(contentsOf: piece, at: spot(new.count))
            }
        case .repeatBlock:
            if !new.isEmpty {
                let at = spot(new.count - 1)
                let piece = Array(new[at..<min(new.count, at + blockLength * Int.random(in: 1...4, using: &rng))])
                for _ in 0..<Int.random(in: 1...5, using: &rng) { new.insert(contentsOf: piece, at: spot(new.count)) }
            }
        case .truncate:
            new.removeLast(spot(new.count))
        case .append:
            new.append(contentsOf: rng.bytes(Int.random(in: 1...200, using: &rng)))
        case .prepend:
            new.insert(contentsOf: rng.bytes(Int.random(in: 1...200, using: &rng)), at: 0)
        case .empty:
            new = []
        case .emptyBasis:
            basis = []
        case .boundarySize:
            let blocks = Int.random(in: 0...20, using: &rng)
            basis = rng.bytes(max(0, blocks * blockLength + Int.random(in: -1...1, using: &rng)))
            new = Array(basis.prefix(max(0, blocks * blockLength + Int.random(in: -1...1, using: &rng))))
            if new.count < basis.count - 1 || new.count == basis.count + 1 { new.append(contentsOf: rng.bytes(1)) }
        case .allEqual:
            let value = UInt8.random(in: 0...255, using: &rng)
            basis = [UInt8](repeating: value, count: Int.random(in: 0...600, using: &rng))
            new = [UInt8](repeating: value, count: Int.random(in: 0...600, using: &rng))
        case .shuffleBlocks:
            var blocks = stride(from: 0, to: basis.count, by: blockLength).map {
                Array(basis[$0..<min(basis.count, $0 + blockLength)])
            }
            blocks.shuffle(using: &rng)
            new = blocks.flatMap { $0 }
        case .unrelated:
            new = rng.bytes(Int.random(in: 0...1500, using: &rng), alphabet: alphabet)
        }
        return (basis, new, blockLength)
    }

    @Test(arguments: Edit.allCases)
    func roundTrip(edit: Edit) throws {
        for seed in UInt64(0)..<250 {
            var rng = SeededRandom(seed: seed &* 1_000_003 &+ UInt64(Edit.allCases.firstIndex(of: edit)!))
            let (basis, new, blockLength) = Self.makeCase(edit, rng: &rng)
            let checksum = ChecksumChoice.allCases.randomElement(using: &rng)!
            let small = Bool.random(using: &rng)
            let trip = DeltaRoundTrip(
                basis: basis, new: new, blockLength: blockLength, checksum: checksum,
                maxLiteral: small ? Int.random(in: 1...50, using: &rng) : 256 * 1024,
                staging: small ? Int.random(in: 1...50, using: &rng) : 256 * 1024, rng: &rng)
            let rebuilt = try trip.patch(basis)
            #expect(rebuilt == new, "seed \(seed), \(edit), block \(blockLength), \(basis.count)→\(new.count)")
            #expect(trip.trailer.fileSize == new.count)
            for instruction in trip.instructions {
                #expect(throws: Never.self) { try DeltaPatcher.validate(instruction, geometry: trip.signature.geometry) }
                if case .literal(let bytes) = instruction, small { #expect(bytes.count <= 50) }
            }
            if edit == .none || edit == .allEqual && basis == new {
                #expect(trip.literalBytes == 0, "seed \(seed): unchanged file sent literals")
            }
        }
    }

    /// A single small edit costs at most its own bytes plus the two blocks it touches.
    @Test(arguments: [Edit.insert, .delete, .replace, .append, .truncate])
    func smallEditsSendFewLiterals(edit: Edit) throws {
        for seed in UInt64(0)..<100 {
            var rng = SeededRandom(seed: seed ^ 0xabcdef)
            let blockLength = Int.random(in: 8...64, using: &rng)
            let basis = rng.bytes(Int.random(in: 500...3000, using: &rng))
            var new = basis
            var editBytes = 0
            switch edit {
            case .insert:
                let piece = rng.bytes(Int.random(in: 1...20, using: &rng))
                new.insert(contentsOf: piece, at: Int.random(in: 0...new.count, using: &rng))
                editBytes = piece.count
            case .delete:
                let at = Int.random(in: 0..<(new.count - 20), using: &rng)
                new.removeSubrange(at..<at + Int.random(in: 1...20, using: &rng))
            case .replace:
                let at = Int.random(in: 0..<(new.count - 20), using: &rng)
                let count = Int.random(in: 1...20, using: &rng)
                new.replaceSubrange(at..<at + count, with: rng.bytes(count))
                editBytes = count
            case .append:
                let piece = rng.bytes(Int.random(in: 1...20, using: &rng))
                new.append(contentsOf: piece)
                editBytes = piece.count
            default:
                new.removeLast(Int.random(in: 1...20, using: &rng))
            }
            let trip = DeltaRoundTrip(basis: basis, new: new, blockLength: blockLength, rng: &rng)
            #expect(try trip.patch(basis) == new)
            #expect(trip.literalBytes <= editBytes + 2 * blockLength, "seed \(seed): \(trip.literalBytes) literal bytes")
        }
    }

    /// Unchanged data is one coalesced copy run; a doubled file is two runs of the whole basis.
    @Test func runsAreCoalesced() throws {
        var rng = SeededRandom(seed: 42)
        let basis = rng.bytes(10_000)
        let same = DeltaRoundTrip(basis: basis, new: basis, blockLength: 100, rng: &rng)
        #expect(same.instructions == [.copy(blockIndex: 0, count: 100)])
        let twice = DeltaRoundTrip(basis: basis, new: basis + basis, blockLength: 100, rng: &rng)
        #expect(twice.instructions == [.copy(blockIndex: 0, count: 100), .copy(blockIndex: 0, count: 100)])
        let zeros = [UInt8](repeating: 0, count: 1000)
        let flat = DeltaRoundTrip(basis: zeros, new: zeros, blockLength: 10, rng: &rng)
        #expect(flat.instructions == [.copy(blockIndex: 0, count: 100)])
    }

    /// The short last block matches only at the end of the new file.
    @Test func shortLastBlock() throws {
        var rng = SeededRandom(seed: 5)
        let basis = rng.bytes(105)
        let trip = DeltaRoundTrip(basis: basis, new: Array(basis[0..<100]) + [1, 2] + basis[100...], blockLength: 10, rng: &rng)
        #expect(trip.instructions == [.copy(blockIndex: 0, count: 10), .literal([1, 2]), .copy(blockIndex: 10, count: 1)])
        #expect(try trip.patch(basis) == Array(basis[0..<100]) + [1, 2] + basis[100...])
    }

    @Test func digestMismatchIsReported() throws {
        var rng = SeededRandom(seed: 3)
        let basis = rng.bytes(1000)
        let trip = DeltaRoundTrip(basis: basis, new: basis, blockLength: 50, rng: &rng)
        var changedBasis = basis
        changedBasis[10] ^= 1  // the basis changed after its signature was made
        #expect(try trip.patch(changedBasis) == nil)
        let patcher = DeltaPatcher(signature: trip.signature)
        try changedBasis.withUnsafeBytes { source in
            for instruction in trip.instructions {
                try patcher.apply(instruction, read: { offset, into in
                    into.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + into.count]))
                }, write: { _ in })
            }
        }
        guard case .digestMismatch = patcher.finish(expecting: trip.trailer) else {
            Issue.record("expected a digest mismatch")
            return
        }
    }

    @Test func patcherRejectsOutOfRangeCopies() {
        let geometry = BlockGeometry(fileSize: 25, blockLength: 10)
        for bad in [DeltaInstruction.copy(blockIndex: 3, count: 1), .copy(blockIndex: 2, count: 2),
            .copy(blockIndex: -1, count: 1), .copy(blockIndex: 0, count: 0), .copy(blockIndex: 1, count: Int.max),
            .literal([])]
        {
            #expect(throws: DeltaError.self) { try DeltaPatcher.validate(bad, geometry: geometry) }
            let patcher = DeltaPatcher(geometry: geometry, checksum: .xxh3)
            #expect(throws: SyncError.self) {
                try patcher.apply(bad, read: { _, _ in Issue.record("read") }, write: { _ in Issue.record("write") })
            }
        }
        #expect(throws: Never.self) { try DeltaPatcher.validate(.copy(blockIndex: 1, count: 2), geometry: geometry) }
    }
}
