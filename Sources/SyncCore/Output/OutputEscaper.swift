/// Makes file names safe to print, as rsync does: control bytes other than tab (and, unless the locale
/// is UTF-8 or `-8` is given, bytes with the high bit set) become `\#ooo` octal escapes.
public enum OutputEscaper {
    public static func escape(_ name: [UInt8], keepHighBit: Bool = false) -> String {
        var needsWork = false
        for byte in name where (byte < 0x20 && byte != 0x09) || byte >= 0x7f {
            needsWork = true
            break
        }
        if !needsWork {
            return String(decoding: name, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(name.count + 8)
        var index = 0
        while index < name.count {
            let byte = name[index]
            if byte >= 0x80 && keepHighBit, let length = validUTF8Length(name, at: index) {
                out.append(contentsOf: name[index..<index + length])
                index += length
                continue
            }
            if (byte < 0x20 && byte != 0x09) || byte >= 0x7f {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "#"))
                out.append(UInt8(ascii: "0") + (byte >> 6))
                out.append(UInt8(ascii: "0") + ((byte >> 3) & 7))
                out.append(UInt8(ascii: "0") + (byte & 7))
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The length of the valid UTF-8 sequence starting at `index`, or nil.
    private static func validUTF8Length(_ bytes: [UInt8], at index: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        for offset in 1..<length where bytes[index + offset] & 0xC0 != 0x80 { return nil }
        return length
    }
}
