@testable import SyncCore

/// A seeded generator (the receiver's SplitMix64) so property tests are reproducible (the seed is in each failure).
struct SeededRandom: RandomNumberGenerator {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }
    mutating func next() -> UInt64 { generator.next() }

    mutating func bytes(_ count: Int, alphabet: UInt8 = 0) -> [UInt8] {
        (0..<count).map { _ in
            alphabet == 0 ? UInt8.random(in: 0...255, using: &self) : UInt8.random(in: 0..<alphabet, using: &self)
        }
    }
}

/// Runs signature → delta → patch fully in memory, feeding the new file in random chunks.
struct DeltaRoundTrip {
    var signature: Signature
    var instructions: [DeltaInstruction] = []
    var trailer: DeltaTrailer
    var literalBytes: Int {
        instructions.reduce(0) { if case .literal(let b) = $1 { return $0 + b.count } else { return $0 } }
    }

    init(basis: [UInt8], new: [UInt8], blockLength: Int?, checksum: ChecksumChoice = .xxh128,
        inPlace: Bool = false, maxLiteral: Int = 256 * 1024, staging: Int = 256 * 1024,
        rng: inout SeededRandom, chunked: Bool = true)
    {
        let builder = SignatureBuilder(fileSize: basis.count, checksum: checksum, blockLength: blockLength)
        basis.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let n = chunked ? min(raw.count - i, Int.random(in: 1...97, using: &rng)) : raw.count
                builder.append(UnsafeRawBufferPointer(rebasing: raw[i..<i + n]))
                i += n
            }
        }
        signature = builder.finish()
        let generator = DeltaGenerator(signature: signature, inPlace: inPlace, maxLiteralLength: maxLiteral,
            stagingLength: staging)
        var out: [DeltaInstruction] = []
        new.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let n = chunked ? min(raw.count - i, Int.random(in: 1...300, using: &rng)) : raw.count
                generator.append(UnsafeRawBufferPointer(rebasing: raw[i..<i + n])) { out.append($0) }
                i += n
            }
        }
        trailer = generator.finish { out.append($0) }
        instructions = out
    }

    func patch(_ basis: [UInt8]) throws -> [UInt8]? {
        try DeltaPatcher.patch(basis: basis, signature: signature, instructions: instructions, trailer: trailer)
    }
}

/// Applies a delta the way `--inplace` does: reads and writes the same buffer, front to back.
func patchInPlace(_ file: [UInt8], geometry: BlockGeometry, instructions: [DeltaInstruction]) throws -> [UInt8] {
    var storage = file
    let patcher = DeltaPatcher(geometry: geometry, checksum: .xxh128, pieceLength: 5)
    for instruction in instructions {
        try patcher.apply(
            instruction,
            read: { offset, into in
                for k in 0..<into.count { into[k] = storage[offset + k] }
            },
            write: { bytes in
                let at = patcher.outputLength
                for (k, b) in bytes.enumerated() {
                    if at + k < storage.count { storage[at + k] = b } else { storage.append(b) }
                }
            })
    }
    return Array(storage[0..<patcher.outputLength])
}
