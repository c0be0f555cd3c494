/// rsync's weak rolling checksum (`get_checksum1` in `checksum.c`, rolled in `match.c`): two 16-bit sums over
/// the bytes read as `signed char`, packed as `s1 | s2 << 16`. Rolling one byte costs O(1).
public struct RollingChecksum: Sendable, Equatable {
    public private(set) var s1: UInt32 = 0
    public private(set) var s2: UInt32 = 0
    public private(set) var count: Int = 0

    public init() {}

    /// The checksum of `bytes` from scratch.
    ///
    /// rsync's loop carries s2 from byte to byte. Here 16 lanes each keep their own running sums, as
    /// vectorized Adler-32 does: per lane j, P = Σ x (over the 16-byte chunks) and Q = Σ of P after each
    /// chunk. Then s1 = Σ P and s2 = 16·Σ Q − Σ j·P (mod 2³²), the same values as the serial loop, with
    /// no multiplication inside the loop. This runs once per block in the signature and once per match
    /// in the delta, so it is most of the engine's arithmetic.
    public init(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        var lanes = SIMD16<Int32>()
        var running = SIMD16<Int32>()
        var i = 0
        if let base = bytes.baseAddress {
            // 16-bit lanes are twice as dense; 16 chunks at most keep them from overflowing
            // (|lane| ≤ 128·16, |run| ≤ 128·136), then they are folded into the 32-bit sums.
            while i + 16 <= n {
                let chunks = min(16, (n - i) / 16)
                var lanes16 = SIMD16<Int16>()
                var running16 = SIMD16<Int16>()
                for _ in 0..<chunks {
                    lanes16 &+= SIMD16<Int16>(truncatingIfNeeded: (base + i).loadUnaligned(as: SIMD16<Int8>.self))
                    running16 &+= lanes16
                    i += 16
                }
                running &+= Int32(chunks) &* lanes &+ SIMD16<Int32>(truncatingIfNeeded: running16)
                lanes &+= SIMD16<Int32>(truncatingIfNeeded: lanes16)
            }
        }
        let laneIndex = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var a = UInt32(bitPattern: lanes.wrappedSum())
        var b = UInt32(bitPattern: 16 &* running.wrappedSum() &- (laneIndex &* lanes).wrappedSum())
        while i < n {
            a = a &+ Self.signed(bytes[i])
            b = b &+ a
            i += 1
        }
        s1 = a
        s2 = b
        count = n
    }

    /// The packed 32-bit value rsync sends as `sum1`.
    @inline(__always)
    public var value: UInt32 { (s1 & 0xffff) | (s2 << 16) }

    /// Slides the window one byte: drops `outgoing` (the oldest byte) and takes in `incoming`.
    @inline(__always)
    public mutating func roll(out outgoing: UInt8, in incoming: UInt8) {
        let o = Self.signed(outgoing)
        s1 = s1 &- o &+ Self.signed(incoming)
        s2 = s2 &- UInt32(truncatingIfNeeded: count) &* o &+ s1
    }

    /// Drops the oldest byte, shrinking the window (used at the end of the file).
    @inline(__always)
    public mutating func rollOut(_ outgoing: UInt8) {
        let o = Self.signed(outgoing)
        s1 = s1 &- o
        s2 = s2 &- UInt32(truncatingIfNeeded: count) &* o
        count -= 1
    }

    @inline(__always)
    static func signed(_ byte: UInt8) -> UInt32 {
        UInt32(bitPattern: Int32(Int8(bitPattern: byte)))
    }
}
