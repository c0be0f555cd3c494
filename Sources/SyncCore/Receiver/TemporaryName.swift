/// rsync's temp file names: `.NAME.XXXXXX` next to the file (or in `--temp-dir`).
enum TemporaryName {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// `.NAME.XXXXXX`, with NAME shortened so the whole fits in 255 bytes.
    static func make(for base: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var name: [UInt8] = [UInt8(ascii: ".")]
        name.append(contentsOf: base.prefix(255 - 8))
        name.append(UInt8(ascii: "."))
        var value = random.next()
        for _ in 0..<6 {
            name.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        }
        return name
    }

    /// True for a name of that shape (the deleter asks before it takes a file for a leftover).
    static func looksTemporary(_ name: [UInt8]) -> Bool {
        guard name.count >= 9, name.first == UInt8(ascii: "."), name[name.count - 7] == UInt8(ascii: ".") else {
            return false
        }
        return name.suffix(6).allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
        }
    }
}
