import SyncCore

/// LEB128 varints and fixed-width little-endian integers for message payloads.
///
/// The varints are SyncCore's `LEB128`, as in the delta codecs; these read a complete payload, so running out
/// of bytes is `truncated`.
struct PayloadWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    mutating func varint(_ value: UInt64) { LEB128.append(value, to: &bytes) }

    /// Signed values (times before 1970) as zigzag varints.
    mutating func signedVarint(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func blob(_ value: some Collection<UInt8>) {
        varint(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }
}

/// Reads one complete payload. Every read checks the remaining length first; a short payload throws
/// `truncated`, and `finish` throws when bytes are left over.
struct PayloadReader {
    let bytes: [UInt8]
    var index: Int
    let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        index = 0
        self.what = what
    }

    var remaining: Int { bytes.count - index }

    mutating func byte(_ field: String) throws(ProtocolError) -> UInt8 {
        guard index < bytes.count else { throw .truncated("\(what) (\(field))") }
        defer { index += 1 }
        return bytes[index]
    }

    /// A varint of at most 10 bytes whose value fits in `UInt64`, with no overlong trailing zero group.
    mutating func varint64(_ field: String) throws(ProtocolError) -> UInt64 {
        let decoded = bytes.withUnsafeBytes { LEB128.decode($0, at: index) }
        switch decoded {
        case .failure(.incomplete): throw .truncated("\(what) (\(field))")
        case .failure(.overflows): throw .malformed("\(what): \(field) overflows 64 bits")
        case .failure(.overlong): throw .malformed("\(what): overlong varint in \(field)")
        case .failure(.tooLong): throw .malformed("\(what): \(field) is longer than 10 bytes")
        case .success(let (value, end)):
            index = end
            return value
        }
    }

    /// A varint in `0...max`.
    mutating func varint(_ field: String, max: Int = Int.max) throws(ProtocolError) -> Int {
        let value = try varint64(field)
        guard value <= UInt64(max) else { throw .limit("\(what): \(field) \(value) (limit \(max))") }
        return Int(value)
    }

    mutating func uint32(_ field: String) throws(ProtocolError) -> UInt32 {
        UInt32(try varint(field, max: Int(UInt32.max)))
    }

    mutating func signedVarint(_ field: String) throws(ProtocolError) -> Int64 {
        let z = try varint64(field)
        return Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
    }

    /// `count` raw bytes; checked against what is left before copying, so a false count cannot allocate.
    mutating func take(_ count: Int, _ field: String) throws(ProtocolError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated("\(what) (\(field))") }
        defer { index += count }
        return bytes[index..<index + count]
    }

    /// A varint length in `0...max`, then that many bytes.
    mutating func blob(_ field: String, max: Int) throws(ProtocolError) -> [UInt8] {
        let count = try varint("\(field) length", max: max)
        return Array(try take(count, field))
    }

    mutating func finish() throws(ProtocolError) {
        guard index == bytes.count else { throw .malformed("\(what): \(remaining) bytes after the last field") }
    }
}
