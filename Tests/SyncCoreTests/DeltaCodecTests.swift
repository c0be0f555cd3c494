import SyncTestSupport
import Testing
@testable import SyncCore

@Suite("Delta: wire codec", .tags(.small))
struct DeltaCodecTests {
    static func sample(seed: UInt64, checksum: ChecksumChoice = .xxh128) -> (basis: [UInt8], trip: DeltaRoundTrip) {
        var rng = SeededRandom(seed: seed)
        let (basis, new, blockLength) = DeltaPropertyTests.makeCase(
            DeltaPropertyTests.Edit.allCases.randomElement(using: &rng)!, rng: &rng)
        return (basis, DeltaRoundTrip(basis: basis, new: new, blockLength: blockLength, checksum: checksum, rng: &rng))
    }

    static func encodedDelta(_ trip: DeltaRoundTrip) -> [UInt8] {
        DeltaCodec.encode(checksum: trip.signature.checksum, geometry: trip.signature.geometry,
            instructions: trip.instructions, trailer: trip.trailer)
    }

    @Test func roundTrips() throws {
        for seed in UInt64(0)..<200 {
            let (_, trip) = Self.sample(seed: seed, checksum: ChecksumChoice.allCases[Int(seed % 3)])
            let signatureBytes = SignatureCodec.encode(trip.signature)
            #expect(try SignatureCodec.decode(signatureBytes) == trip.signature)
            let decoded = try DeltaCodec.decode(Self.encodedDelta(trip), signature: trip.signature)
            #expect(decoded.instructions == trip.instructions)
            #expect(decoded.trailer == trip.trailer)
        }
    }

    /// Fed one byte at a time, the decoder returns nil until each record is complete.
    @Test func incrementalDecoding() throws {
        let (_, trip) = Self.sample(seed: 99)
        let bytes = Self.encodedDelta(trip)
        let decoder = DeltaDecoder(expecting: trip.signature.geometry, checksum: trip.signature.checksum)
        var instructions: [DeltaInstruction] = []
        var trailer: DeltaTrailer?
        for byte in bytes {
            try [byte].withUnsafeBytes { try decoder.feed($0) }
            while let event = try decoder.next() {
                switch event {
                case .header: break
                case .instruction(let i): instructions.append(i)
                case .end(let t): trailer = t
                }
            }
        }
        try decoder.finishInput()
        #expect(instructions == trip.instructions)
        #expect(trailer == trip.trailer)
    }

    @Test func rejectsTruncation() {
        let (_, trip) = Self.sample(seed: 5)
        let signature = SignatureCodec.encode(trip.signature)
        let delta = Self.encodedDelta(trip)
        for cut in 0..<signature.count {
            #expect(throws: DeltaError.self) { try SignatureCodec.decode(Array(signature[0..<cut])) }
        }
        for cut in 0..<delta.count {
            #expect(throws: DeltaError.self) { try DeltaCodec.decode(Array(delta[0..<cut]), signature: trip.signature) }
        }
        #expect(throws: DeltaError.self) { try SignatureCodec.decode(signature + [0]) }
        #expect(throws: DeltaError.self) { try DeltaCodec.decode(delta + [0], signature: trip.signature) }
    }

    /// Headers that claim huge sizes are rejected before anything is allocated.
    @Test func rejectsOversizedHeaders() {
        func varint(_ v: UInt64) -> [UInt8] {
            var w = WireWriter()
            w.varint(v)
            return w.bytes
        }
        // A signature for an 8 EiB file in 1-byte blocks, with no entries.
        let huge: [UInt8] = [1, 0x53, 1] + varint(UInt64(Int.max)) + varint(1) + [2]
        #expect(throws: DeltaError.self) { try SignatureCodec.decode(huge) }
        // Block count within limits but not backed by bytes.
        let unbacked: [UInt8] = [1, 0x53, 1] + varint(1 << 40) + varint(131072) + [2] + [UInt8](repeating: 0, count: 60)
        #expect(throws: DeltaError.self) { try SignatureCodec.decode(unbacked) }
        // Block length over rsync's maximum.
        #expect(throws: DeltaError.self) { try SignatureCodec.decode([1, 0x53, 1] + varint(10) + varint(1 << 20) + [2]) }
        #expect(throws: DeltaError.self) { try SignatureCodec.decode([1, 0x53, 1] + varint(10) + varint(0) + [2]) }
        // Strong length longer than the digest.
        #expect(throws: DeltaError.self) { try SignatureCodec.decode([1, 0x53, 3] + varint(0) + varint(8) + [9]) }
        // 11-byte and overflowing varints.
        #expect(throws: DeltaError.self) {
            try SignatureCodec.decode([1, 0x53, 1] + [UInt8](repeating: 0xff, count: 11) + [0])
        }
        #expect(throws: DeltaError.self) { try SignatureCodec.decode([1, 0x53, 1] + [UInt8](repeating: 0xff, count: 9) + [0x7f]) }
        #expect(throws: DeltaError.self) { try SignatureCodec.decode([1, 0x53, 1, 0x80, 0x00, 8, 2]) }  // overlong zero

        let geometry = BlockGeometry(fileSize: 100, blockLength: 10)
        let header: [UInt8] = [1, 0x44, 1] + varint(100) + varint(10)
        func decode(_ bytes: [UInt8]) throws(DeltaError) {
            let decoder = DeltaDecoder(expecting: geometry, checksum: .xxh128)
            try withBytes(of: bytes) { (raw) throws(DeltaError) in try decoder.feed(raw) }
            while try decoder.next() != nil {}
        }
        // A 1 GiB literal is rejected from its length alone, before its bytes arrive.
        #expect(throws: DeltaError.self) { try decode(header + [1] + varint(1 << 30)) }
        #expect(throws: DeltaError.self) { try decode(header + [1, 0]) }  // empty literal
        #expect(throws: DeltaError.self) { try decode(header + [2, 10, 1]) }  // block 10 of 10
        #expect(throws: DeltaError.self) { try decode(header + [2, 9, 2]) }  // run past the end
        #expect(throws: DeltaError.self) { try decode(header + [2, 0, 0]) }  // empty run
        #expect(throws: DeltaError.self) { try decode(header + [7]) }  // unknown tag
        #expect(throws: DeltaError.self) { try decode(header + [0, 5, 8] + [UInt8](repeating: 0, count: 8)) }  // short digest
        #expect(throws: DeltaError.self) { try decode([1, 0x44, 1] + varint(101) + varint(10)) }  // other basis
        #expect(throws: DeltaError.self) { try decode([1, 0x44, 2] + varint(100) + varint(10)) }  // other checksum
        #expect(throws: DeltaError.self) { try decode([2, 0x44]) }  // version
        #expect(throws: Never.self) { try decode(header + [2, 9, 1]) }
    }

    /// Random mutations of valid encodings throw, or decode to something the patcher handles (or rejects).
    @Test func randomMutationsNeverCrash() throws {
        var rng = SeededRandom(seed: 2024)
        var rejected = 0, accepted = 0
        for seed in UInt64(0)..<60 {
            let (basis, trip) = Self.sample(seed: seed &+ 500)
            let signatureBytes = SignatureCodec.encode(trip.signature)
            let deltaBytes = Self.encodedDelta(trip)
            for _ in 0..<40 {
                var s = signatureBytes, d = deltaBytes
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    Self.mutate(&s, rng: &rng)
                    Self.mutate(&d, rng: &rng)
                }
                if let signature = try? SignatureCodec.decode(s) {
                    // Anything that decodes must be usable.
                    _ = DeltaGenerator.delta(signature: signature, newFile: UnsafeRawBufferPointer(start: nil, count: 0))
                }
                do {
                    let (instructions, trailer) = try DeltaCodec.decode(d, signature: trip.signature)
                    _ = try DeltaPatcher.patch(basis: basis, signature: trip.signature, instructions: instructions,
                        trailer: trailer)
                    accepted += 1
                } catch {
                    rejected += 1
                }
            }
        }
        #expect(rejected > 0)
        _ = accepted
    }

    static func mutate(_ bytes: inout [UInt8], rng: inout SeededRandom) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &rng))
            return
        }
        let at = Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        case 1: bytes[at] = [0, 0xff, 0x80, 0x7f, 1, 2].randomElement(using: &rng)!
        case 2: bytes.remove(at: at)
        case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
        default: bytes.removeSubrange(at...)
        }
    }

    @Test func errorsMapToStreamExitStatus() {
        #expect(DeltaError(.malformed, "x").syncError.status == .streamIO)
        #expect(DeltaError(.malformed, "x").syncError.status.rawValue == 12)
    }
}
