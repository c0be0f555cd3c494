/// rsync's weak rolling checksum (`get_checksum1` in `checksum.c`, rolled in `match.c`): two 16-bit sums over
/// the bytes read as `signed char`, packed as `s1 | s2 << 16`. Rolling one byte costs O(1).
public struct RollingChecksum: Sendable, Equatable {
    public private(set) var s1: UInt32 = 0
    public private(set) var s2: UInt32 = 0
    public private(set) var count: Int = 0

    public init() {}

    /// The checksum of `bytes` from scratch.
    public init(_ bytes: UnsafeRawBufferPointer) {
        var a: UInt32 = 0
        var b: UInt32 = 0
        let n = bytes.count
        var i = 0
        // Four bytes per step, as rsync does; the compiler keeps this loop in registers.
        while i + 4 <= n {
            let x0 = Self.signed(bytes[i]), x1 = Self.signed(bytes[i + 1])
            let x2 = Self.signed(bytes[i + 2]), x3 = Self.signed(bytes[i + 3])
            b = b &+ 4 &* (a &+ x0) &+ 3 &* x1 &+ 2 &* x2 &+ x3
            a = a &+ x0 &+ x1 &+ x2 &+ x3
            i += 4
        }
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
