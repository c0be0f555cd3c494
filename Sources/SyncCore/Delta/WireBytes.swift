/// Little helpers for the delta wire format: LEB128 varints and fixed-width little-endian integers.

/// LEB128 varints as both wire formats use them (the delta codecs here, SyncProtocol's payloads): at most
/// 10 bytes, no overlong encoding, the value within 64 bits.
public enum LEB128 {
    public static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Why `decode` found no value.
    public enum Failure: Error, Sendable {
        /// The bytes end inside the varint.
        case incomplete
        /// The value needs more than 64 bits.
        case overflows
        /// A trailing zero group (an overlong encoding).
        case overlong
        /// More than 10 bytes.
        case tooLong
    }

    /// The varint starting at `index`, and the index after it; never reads past `bytes`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Result<(value: UInt64, end: Int), Failure> {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var i = index
        while true {
            guard i < bytes.count else { return .failure(.incomplete) }
            let b = bytes[i]
            i += 1
            let payload = UInt64(b & 0x7f)
            if shift == 63 && payload > 1 { return .failure(.overflows) }
            value |= payload << shift
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 { return .failure(.overlong) }
                return .success((value, i))
            }
            shift += 7
            if shift > 63 { return .failure(.tooLong) }
        }
    }
}

struct WireWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    mutating func varint(_ value: UInt64) { LEB128.append(value, to: &bytes) }

    mutating func uint32(_ value: UInt32) {
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(k)))) }
    }

    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}

/// Reads from a byte range without ever reading past it. Each read returns nil when the bytes have not all
/// arrived yet (the caller decides whether that means "wait" or "truncated") and throws on malformed data.
struct WireReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - index }

    mutating func byte() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    /// A LEB128 varint of at most 10 bytes whose value fits in `Int` (and no overlong trailing zero group).
    mutating func varint(_ what: String) throws(DeltaError) -> Int? {
        switch LEB128.decode(bytes, at: index) {
        case .failure(.incomplete): return nil
        case .failure(.overflows): throw .malformed("\(what): varint overflows 64 bits")
        case .failure(.overlong): throw .malformed("\(what): overlong varint")
        case .failure(.tooLong): throw .malformed("\(what): varint longer than 10 bytes")
        case .success(let (value, end)):
            guard value <= UInt64(Int.max) else { throw .malformed("\(what): \(value) is out of range") }
            index = end
            return Int(value)
        }
    }

    mutating func uint32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[index + k]) << (8 * UInt32(k)) }
        index += 4
        return v
    }

    /// The next `count` bytes, without copying; nil until they have all arrived.
    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { index += count }
        return UnsafeRawBufferPointer(rebasing: bytes[index..<index + count])
    }
}

/// `Array.withUnsafeBytes` with a typed error (the standard library's version only `rethrows`).
@inline(__always)
func withBytes<R, E: Error>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let result = array.withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }
    return try result.get()
}
