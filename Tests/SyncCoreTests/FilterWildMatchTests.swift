import SyncTestSupport
import Testing
@testable import SyncCore

/// Pattern/text cases from rsync's `wildtest.txt` (lib/wildmatch.c's own test table), plus byte-level ones.
@Suite("WildMatch (rsync wildmatch.c)", .tags(.small))
struct FilterWildMatchTests {
    struct Case: Sendable, CustomStringConvertible {
        var expected: Bool
        var text: [UInt8]
        var pattern: [UInt8]
        init(_ expected: Bool, _ text: String, _ pattern: String) {
            self.expected = expected
            self.text = Array(text.utf8)
            self.pattern = Array(pattern.utf8)
        }
        init(_ expected: Bool, bytes text: [UInt8], _ pattern: String) {
            self.expected = expected
            self.text = text
            self.pattern = Array(pattern.utf8)
        }
        var description: String {
            "\(OutputEscaper.escape(pattern)) ~ \(OutputEscaper.escape(text)) = \(expected)"
        }
    }

    static let wildtest: [Case] = [
        // Basic wildmat features
        Case(true, "foo", "foo"), Case(false, "foo", "bar"), Case(true, "", ""), Case(true, "foo", "???"),
        Case(false, "foo", "??"), Case(true, "foo", "*"), Case(true, "foo", "f*"), Case(false, "foo", "*f"),
        Case(true, "foo", "*foo*"), Case(true, "foobar", "*ob*a*r*"), Case(true, "aaaaaaabababab", "*ab"),
        Case(true, "foo*", #"foo\*"#), Case(false, "foobar", #"foo\*bar"#), Case(true, #"f\oo"#, #"f\\oo"#),
        Case(true, "ball", "*[al]?"), Case(false, "ten", "[ten]"), Case(true, "ten", "**[!te]"),
        Case(false, "ten", "**[!ten]"), Case(true, "ten", "t[a-g]n"), Case(false, "ten", "t[!a-g]n"),
        Case(true, "ton", "t[!a-g]n"), Case(true, "ton", "t[^a-g]n"), Case(true, "a]b", "a[]]b"),
        Case(true, "a-b", "a[]-]b"), Case(true, "a]b", "a[]-]b"), Case(false, "aab", "a[]-]b"),
        Case(true, "aab", "a[]a-]b"), Case(true, "]", "]"),
        // Extended slash-matching features
        Case(false, "foo/baz/bar", "foo*bar"), Case(true, "foo/baz/bar", "foo**bar"), Case(false, "foo/bar", "foo?bar"),
        Case(false, "foo/bar", "foo[/]bar"), Case(false, "foo", "**/foo"), Case(true, "/foo", "**/foo"),
        Case(true, "bar/baz/foo", "**/foo"), Case(false, "bar/baz/foo", "*/foo"), Case(false, "foo/bar/baz", "**/bar*"),
        Case(true, "foo/bar/baz", "**/bar**"),
        // Various additional tests
        Case(false, "acrt", "a[c-c]st"), Case(false, "]", "[!]-]"), Case(true, "a", "[!]-]"), Case(false, "", #"\"#),
        Case(false, #"\"#, #"\"#), Case(true, "@foo", "@foo"), Case(false, "foo", "@foo"), Case(true, "[ab]", #"\[ab]"#),
        Case(true, "?a?b", #"\??\?b"#), Case(true, "abc", #"\a\b\c"#), Case(false, "foo", ""),
        Case(true, "foo/bar/baz/to", "**/t[o]"),
        // Character classes
        Case(true, "a1B", "[[:alpha:]][[:digit:]][[:upper:]]"), Case(false, "a", "[[:digit:][:upper:][:space:]]"),
        Case(true, "A", "[[:digit:][:upper:][:space:]]"), Case(true, "1", "[[:digit:][:upper:][:space:]]"),
        Case(false, "1", "[[:digit:][:upper:][:spack:]]"), Case(true, " ", "[[:digit:][:upper:][:space:]]"),
        Case(false, ".", "[[:digit:][:upper:][:space:]]"), Case(true, ".", "[[:digit:][:punct:][:space:]]"),
        Case(true, "5", "[[:xdigit:]]"), Case(true, "f", "[[:xdigit:]]"), Case(true, "D", "[[:xdigit:]]"),
        Case(true, "_", "[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:graph:][:lower:][:print:][:punct:][:space:][:upper:][:xdigit:]]"),
        Case(true, ".", "[^[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:lower:][:space:][:upper:][:xdigit:]]"),
        // Malformed patterns
        Case(true, "]", #"[\\-^]"#), Case(false, "[", #"[\\-^]"#), Case(true, "-", #"[\-_]"#), Case(true, "]", #"[\]]"#),
        Case(false, #"\]"#, #"[\]]"#), Case(false, #"\"#, #"[\]]"#), Case(false, "ab", "a[]b"), Case(false, "a[]b", "a[]b"),
        Case(false, "ab[", "ab["), Case(false, "ab", "[!"), Case(false, "ab", "[-"), Case(true, "-", "[-]"),
        Case(false, "-", "[a-"), Case(false, "-", "[!a-"), Case(true, "-", "[--A]"), Case(true, "5", "[--A]"),
        Case(true, " ", "[ --]"), Case(true, "$", "[ --]"), Case(true, "-", "[ --]"), Case(false, "0", "[ --]"),
        Case(true, "-", "[---]"), Case(true, "-", "[------]"), Case(false, "j", "[a-e-n]"), Case(true, "-", "[a-e-n]"),
        Case(true, "a", "[!------]"), Case(false, "[", "[]-a]"), Case(true, "^", "[]-a]"), Case(false, "^", "[!]-a]"),
        Case(true, "[", "[!]-a]"), Case(true, "^", "[a^bc]"), Case(true, "-b]", "[a-]b]"), Case(false, #"\"#, #"[\]"#),
        Case(true, #"\"#, #"[\\]"#), Case(false, #"\"#, #"[!\\]"#), Case(true, "G", #"[A-\\]"#),
        Case(false, "aaabbb", "b*a"), Case(false, "aabcaa", "*ba*"), Case(true, ",", "[,]"), Case(true, ",", #"[\\,]"#),
        Case(true, #"\"#, #"[\\,]"#), Case(true, "-", "[,-.]"), Case(false, "+", "[,-.]"), Case(false, "-.]", "[,-.]"),
        Case(true, #"\"#, #"[[-\]]"#), Case(false, "-", #"[[-\]]"#), Case(false, #"/\"#, #"/\"#),
        // Recursion and the abort codes
        Case(true, "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"),
        Case(false, "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"),
        Case(false, "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1", "-*-*-*-*-*-*-12-*-*-*-m-*-*-*"),
        Case(true, "/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", "/*/*/*/*/*/*/12/*/*/*/m/*/*/*"),
        Case(false, "/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1", "/*/*/*/*/*/*/12/*/*/*/m/*/*/*"),
        Case(true, "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", "**/*a*b*g*n*t"),
        Case(false, "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", "**/*a*b*g*n*t"),
    ]

    static let bytes: [Case] = [
        Case(true, bytes: [0x63, 0x61, 0x66, 0xE9], "caf?"),  // '?' is one byte, even 0xE9
        Case(false, bytes: [0x63, 0x61, 0x66, 0xC3, 0xA9], "caf?"),  // UTF-8 é is two bytes
        Case(true, bytes: [0x63, 0x61, 0x66, 0xC3, 0xA9], "caf??"),
        Case(false, bytes: [0xE9], "[[:alpha:]]"),  // classes are ASCII only
        Case(true, bytes: [0xE9], "[!a]"),
        Case(true, bytes: [0x80, 0x2E, 0x6F], "*.o"),
        Case(true, bytes: [0x09], "[[:cntrl:]]"), Case(true, bytes: [0x7F], "[[:cntrl:]]"),
        Case(true, bytes: [0x09], "[[:blank:]]"), Case(false, bytes: [0x0A], "[[:blank:]]"),
        Case(true, bytes: [0x0B], "[[:space:]]"), Case(false, bytes: [0x20], "[[:graph:]]"),
        Case(true, bytes: [0x20], "[[:print:]]"), Case(true, "~", "[[:punct:]]"), Case(false, "a", "[[:punct:]]"),
        Case(true, "a/b/c", "a/**"), Case(true, "a/b/c", "**"), Case(false, "a/b/c", "a/*"), Case(true, "a/b", "a/*"),
        Case(true, "a/b/c", "a/***"), Case(true, "ab", "[a-a]b"), Case(false, "x", "[[:lower:]"),  // unclosed set: abort
    ]

    @Test(arguments: wildtest + bytes)
    func pattern(_ testCase: Case) {
        #expect(WildMatch.matches(testCase.pattern, testCase.text) == testCase.expected)
    }

    @Test func detectsWildcards() {
        #expect(WildMatch.hasWildcards(Array("a*b".utf8)))
        #expect(WildMatch.hasWildcards(Array("a[b".utf8)))
        #expect(WildMatch.hasWildcards(Array("a?".utf8)))
        #expect(!WildMatch.hasWildcards(Array(#"a\b"#.utf8)))
    }
}
