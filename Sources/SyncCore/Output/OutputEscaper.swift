/// Makes file names safe to print, as rsync's `rwrite` does: control bytes other than tab become `\#ooo`
/// octal escapes, so does the backslash of a name's own `\#ooo` (so an escape is never ambiguous), and bytes
/// with the high bit set are kept, kept when they are valid UTF-8 (a UTF-8 locale), or escaped (`HighBytes`).
///
/// Output is Swift text, which holds only valid Unicode; `-8` wants bytes that are not. Such a byte travels
/// inside the text as a private-use stand-in (`RawByteMarker`) that the console writer turns back into the
/// byte, so every line is still built and padded as text.
public enum OutputEscaper {
    /// What becomes of bytes with the high bit set.
    public enum HighBytes: Sendable {
        /// `\#ooo`, as rsync in a locale whose charset is not UTF-8.
        case escaped
        /// Valid UTF-8 sequences as they are, other bytes escaped: rsync in a UTF-8 locale.
        case keptWhenValidUTF8
        /// Every byte as it is: `-8`/`--8-bit-output`.
        case raw

        /// The choice for this process: `-8`, else the locale's charset.
        public init(eightBitOutput: Bool, utf8Locale: Bool) {
            self = eightBitOutput ? .raw : utf8Locale ? .keptWhenValidUTF8 : .escaped
        }
    }

    public static func escape(_ name: [UInt8], highBytes: HighBytes = .escaped) -> String {
        var needsWork = false
        for byte in name where (byte < 0x20 && byte != 0x09) || byte >= 0x80 || byte == backslash {
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
            if byte >= 0x80 {
                switch highBytes {
                case .raw:
                    RawByteMarker.append(byte, to: &out)
                    index += 1
                    continue
                case .keptWhenValidUTF8:
                    if let length = validUTF8Length(name, at: index) {
                        let sequence = name[index..<index + length]
                        // A real character in the stand-ins' range goes byte by byte, so it prints as it is.
                        if RawByteMarker.isMarker(sequence) {
                            for part in sequence { RawByteMarker.append(part, to: &out) }
                        } else {
                            out.append(contentsOf: sequence)
                        }
                        index += length
                        continue
                    }
                case .escaped:
                    break
                }
                appendOctal(byte, to: &out)
            } else if byte < 0x20 && byte != 0x09 {
                appendOctal(byte, to: &out)
            } else if byte == backslash && isOctalEscape(name, at: index) {
                appendOctal(byte, to: &out)
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let backslash = UInt8(ascii: "\\")

    private static func appendOctal(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(backslash)
        out.append(UInt8(ascii: "#"))
        out.append(UInt8(ascii: "0") + (byte >> 6))
        out.append(UInt8(ascii: "0") + ((byte >> 3) & 7))
        out.append(UInt8(ascii: "0") + (byte & 7))
    }

    /// Whether `\#` and three digits start at `index` (what rsync's output escapes look like).
    private static func isOctalEscape(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index + 4 < bytes.count, bytes[index + 1] == UInt8(ascii: "#") else { return false }
        return bytes[index + 2...index + 4].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
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
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 (as iconv sees it).
        let second = bytes[index + 1]
        switch lead {
        case 0xE0 where second < 0xA0, 0xED where second > 0x9F, 0xF0 where second < 0x90, 0xF4 where second > 0x8F:
            return nil
        default:
            return length
        }
    }
}

/// A raw byte (0x80-0xFF) inside output text: the private-use scalar U+10FF00 plus the byte, which the
/// console writer (`decode`) turns back into the byte itself.
public enum RawByteMarker {
    /// The UTF-8 bytes of U+10FF80 ... U+10FFFF begin F4 8F BE or F4 8F BF.
    static func isMarker<C: Collection<UInt8>>(_ sequence: C) -> Bool {
        guard sequence.count == 4 else { return false }
        var bytes = sequence.makeIterator()
        return bytes.next() == 0xF4 && bytes.next() == 0x8F && (bytes.next() ?? 0) & 0xFE == 0xBE
    }

    static func append(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(0xF4)
        out.append(0x8F)
        out.append(0xBC | (byte >> 6))
        out.append(0x80 | (byte & 0x3F))
    }

    /// Whether `text` may hold a marker (a quick test before `decode`).
    public static func mayContain(_ text: String) -> Bool {
        text.utf8.contains(0xF4)
    }

    /// `text`'s UTF-8 bytes with each marker replaced by its byte, appended to `out`.
    public static func decode(_ text: String, into out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if index + 4 <= bytes.count && isMarker(bytes[index..<index + 4]) {
                out.append(((bytes[index + 2] & 0x03) << 6) | (bytes[index + 3] & 0x3F))
                index += 4
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
    }
}
