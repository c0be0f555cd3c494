import SyncTestSupport
import Testing
@testable import SyncCore

@Suite("Delta: block sizing and checksums", .tags(.small))
struct DeltaChecksumTests {
    // (basis size, block length, s2length) printed by rsync 3.5.0 --debug=deltasum2 (xxh128).
    @Test(arguments: [
        (1002, 700, 2), (490_003, 700, 2), (1_000_002, 1000, 2), (5_000_002, 2232, 2),
        (123_456_789, 11104, 3), (1_073_741_826, 32768, 3),
    ])
    func sizingMatchesRsync(size: Int, blockLength: Int, strongLength: Int) {
        #expect(BlockSizing.blockLength(fileSize: size) == blockLength)
        #expect(BlockSizing.strongLength(fileSize: size, blockLength: blockLength) == strongLength)
    }

    @Test func sizingLimits() {
        #expect(BlockSizing.blockLength(fileSize: 0) == 700)
        #expect(BlockSizing.blockLength(fileSize: 1 << 40) == 131072)
        #expect(BlockSizing.blockLength(fileSize: Int.max) == 131072)
        for size in [1, 700 * 700, 700 * 700 + 1, 1 << 33, 999_999_999_937] {
            let length = BlockSizing.blockLength(fileSize: size)
            #expect(length % 8 == 0 || length == 700)
            #expect((700...131072).contains(length))
        }
        #expect(BlockSizing.strongLength(fileSize: Int.max, blockLength: 700) == 12)
        #expect(BlockSizing.strongLength(fileSize: Int.max, blockLength: 8) == 13)
        #expect(BlockSizing.strongLength(fileSize: Int.max, blockLength: 700, digestLength: 8) == 8)
    }

    /// rsync's get_checksum1 reads signed chars: these values come from its formula with sign extension.
    @Test func rollingChecksumKnownAnswers() {
        func sum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { RollingChecksum($0).value } }
        #expect(sum([]) == 0)
        #expect(sum([1, 2, 3]) == (6 | (10 << 16)))
        // 0xff is -1: s1 = -1, s2 = -1 → 0xffff | 0xffff0000.
        #expect(sum([0xff]) == 0xffff_ffff)
        // [0x80, 0x01]: s1 = -128 + 1 = -127, s2 = -128 + -127 = -255.
        #expect(sum([0x80, 0x01]) == (UInt32(bitPattern: -127) & 0xffff) | (UInt32(bitPattern: -255) << 16))
    }

    @Test func rollingEqualsRecomputing() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<50 {
            let data = rng.bytes(Int.random(in: 2...400, using: &rng))
            let window = Int.random(in: 1..<data.count, using: &rng)
            data.withUnsafeBytes { raw in
                var rolling = RollingChecksum(UnsafeRawBufferPointer(rebasing: raw[0..<window]))
                for start in 1...(data.count - window) {
                    rolling.roll(out: raw[start - 1], in: raw[start + window - 1])
                    let fresh = RollingChecksum(UnsafeRawBufferPointer(rebasing: raw[start..<start + window]))
                    #expect(rolling.value == fresh.value)
                }
                var shrinking = RollingChecksum(UnsafeRawBufferPointer(rebasing: raw[0..<window]))
                shrinking.rollOut(raw[0])
                #expect(shrinking.value == RollingChecksum(UnsafeRawBufferPointer(rebasing: raw[1..<window])).value)
            }
        }
    }

    @Test func checksumChoiceNames() {
        #expect(ChecksumChoice(name: "xxh128") == .xxh128)
        #expect(ChecksumChoice(name: "XXH3") == .xxh3)
        #expect(ChecksumChoice(name: "xxhash") == .xxh64)
        #expect(ChecksumChoice(name: "md5") == nil)
        #expect(ChecksumChoice.xxh64.digestLength == 8)
    }

    @Test func digestBytesRoundTrip() {
        let digest = StrongDigest(low: 0x0807_0605_0403_0201, high: 0x100f_0e0d_0c0b_0a09, length: 16)
        #expect(digest.bytes == Array(1...16))
        #expect(StrongDigest(bytes: digest.bytes) == digest)
        #expect(digest.truncated(to: 3) == StrongDigest(bytes: [1, 2, 3]))
        #expect(digest.truncated(to: 10).bytes == Array(1...10))
    }

    /// The streaming whole-file digest equals the one-shot block digest of the same bytes.
    @Test func fileDigesterMatchesOneShot() {
        var rng = SeededRandom(seed: 9)
        let data = rng.bytes(1000)
        for choice in ChecksumChoice.allCases {
            let digester = FileDigester(choice)
            data.withUnsafeBytes { raw in
                digester.update(UnsafeRawBufferPointer(rebasing: raw[0..<333]))
                digester.update(UnsafeRawBufferPointer(rebasing: raw[333...]))
                #expect(digester.finish() == choice.digest(raw))
            }
        }
    }
}
