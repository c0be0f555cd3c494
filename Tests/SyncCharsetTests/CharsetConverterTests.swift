import SyncCharset
import SyncTestSupport
import Testing

/// `--iconv`'s converter: glibc's iconv behind `CharsetConverter`, and rsync's splitting of CONVERT_SPEC.
@Suite(.tags(.small))
struct CharsetConverterTests {
    static let cafeUTF8: [UInt8] = [0x63, 0x61, 0x66, 0xC3, 0xA9]
    static let cafeLatin1: [UInt8] = [0x63, 0x61, 0x66, 0xE9]

    @Test func convertsBothWays() throws {
        let names = try NameCharset("ISO-8859-1")
        #expect(try names.fromWire.convert(Self.cafeUTF8, limit: 4096) == Self.cafeLatin1)
        #expect(try names.toWire.convert(Self.cafeLatin1, limit: 4096) == Self.cafeUTF8)
        #expect(try names.toWire.convert([], limit: 4096) == [])
    }

    @Test func refusesWhatTheTargetCannotHold() throws {
        let names = try NameCharset("ISO-8859-1")
        // 日 has no Latin-1 form: EILSEQ, "Invalid or incomplete multibyte or wide character".
        let error = #expect(throws: CharsetError.self) {
            try names.fromWire.convert([0xE6, 0x97, 0xA5], limit: 4096)
        }
        #expect(error?.reason == .invalidSequence)
        #expect(error?.errnoText == "Invalid or incomplete multibyte or wide character")
    }

    @Test func anIncompleteSequenceIsEINVAL() throws {
        let names = try NameCharset("UTF-8")
        // A lone lead byte at the end: rsync's "(Invalid argument)".
        let error = #expect(throws: CharsetError.self) { try names.toWire.convert([0x66, 0xE9], limit: 4096) }
        #expect(error?.reason == .incompleteSequence)
        #expect(error?.errnoText == "Invalid argument")
        // A bad byte in the middle: EILSEQ.
        let middle = #expect(throws: CharsetError.self) { try names.toWire.convert([0xE9, 0x66], limit: 4096) }
        #expect(middle?.reason == .invalidSequence)
    }

    @Test func growthIsBoundedByTheLimit() throws {
        let names = try NameCharset("ISO-8859-1")
        let latin1 = [UInt8](repeating: 0xE9, count: 3000)  // 6000 bytes as UTF-8
        let error = #expect(throws: CharsetError.self) { try names.toWire.convert(latin1, limit: 4096) }
        #expect(error?.reason == .outputTooLong)
        #expect(try names.toWire.convert(latin1, limit: 6000).count == 6000)
        // Many times the first guess of room: grown as needed.
        let wide = try CharsetConverter(from: "ISO-8859-1", to: "UTF-32")
        #expect(try wide.convert(latin1, limit: 1 << 16).count == 4 + 4 * 3000)
    }

    @Test func anUnknownCharsetIsRefusedWithRsyncsLine() {
        let error = #expect(throws: NameCharset.OpenError.self) { try NameCharset("no-such-charset") }
        #expect(error?.message == "iconv_open(\"UTF-8\", \"no-such-charset\") failed")
    }

    @Test func dotMeansTheLocalesCharset() throws {
        let names = try NameCharset(".")
        #expect(names.charset == NameCharset.localeCharset())
        #expect(try NameCharset("").charset == NameCharset.localeCharset())
    }

    @Test(arguments: [
        ("UTF-8,ISO-8859-1", false, "UTF-8", "ISO-8859-1"),
        ("UTF-8,ISO-8859-1", true, "ISO-8859-1", "ISO-8859-1"),
        ("ISO-8859-1", false, "ISO-8859-1", "ISO-8859-1"),
        (".", false, ".", "."),
        (",ISO-8859-1", false, "", "ISO-8859-1"),
    ])
    func specSplitsAsRsyncDoes(text: String, isServer: Bool, local: String, remote: String) {
        #expect(IconvSpec(text, isServer: isServer) == IconvSpec(local: local, remote: remote))
    }

    @Test func dashIsNoConversionOnAClient() {
        #expect(IconvSpec("-", isServer: false) == nil)
        #expect(IconvSpec("-", isServer: true) != nil)
    }
}
