/// The strong checksum used for block matching and the whole-file check (`--checksum-choice`).
///
/// md5/md4 are not offered: they would need a second C library in SyncCore (see Docs/Compatibility.md).
public enum ChecksumChoice: UInt8, Sendable, CaseIterable {
    /// XXH3-128, rsync's default when both sides support it.
    case xxh128 = 1
    /// XXH3-64.
    case xxh3 = 2
    /// XXH64 (rsync also accepts the name `xxhash`).
    case xxh64 = 3

    /// Parses one `--checksum-choice` name; nil for names we do not support.
    public init?(name: String) {
        switch name.lowercased() {
        case "xxh128": self = .xxh128
        case "xxh3": self = .xxh3
        case "xxh64", "xxhash": self = .xxh64
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .xxh128: return "xxh128"
        case .xxh3: return "xxh3"
        case .xxh64: return "xxh64"
        }
    }

    /// Bytes in a full digest.
    public var digestLength: Int { self == .xxh128 ? 16 : 8 }
}

/// A strong digest of up to 16 bytes, held as two little-endian words (byte `k` of the digest is byte `k % 8`
/// of `low` or `high`). Digests shorter than 16 bytes keep the unused bytes zero.
public struct StrongDigest: Sendable, Equatable, Hashable {
    public var low: UInt64
    public var high: UInt64
    public var length: Int

    public init(low: UInt64, high: UInt64, length: Int) {
        self.low = low
        self.high = high
        self.length = length
    }

    /// `%C`: the digest as rsync prints a file's sum, one big-endian hex number (our bytes, last first).
    public var rsyncHex: String {
        bytes.reversed().map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// Keeps only the first `length` bytes.
    public func truncated(to length: Int) -> StrongDigest {
        StrongDigest(low: low & Self.mask(length), high: high & Self.mask(length - 8), length: length)
    }

    public var bytes: [UInt8] {
        (0..<length).map { k in UInt8(truncatingIfNeeded: (k < 8 ? low : high) >> (8 * UInt64(k % 8))) }
    }

    /// Builds a digest from its first `bytes.count` (≤ 16) bytes.
    public init(bytes: some Collection<UInt8>) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (k, byte) in bytes.prefix(16).enumerated() {
            if k < 8 { low |= UInt64(byte) << (8 * UInt64(k)) } else { high |= UInt64(byte) << (8 * UInt64(k - 8)) }
        }
        self.init(low: low, high: high, length: min(bytes.count, 16))
    }

    /// Mask keeping the low `bytes` bytes of a word (all for ≥ 8, none for ≤ 0).
    @inline(__always)
    static func mask(_ bytes: Int) -> UInt64 {
        bytes >= 8 ? ~0 : (bytes <= 0 ? 0 : (UInt64(1) << (8 * UInt64(bytes))) &- 1)
    }
}
