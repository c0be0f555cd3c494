/// Parses filter-rule text the way rsync's `parse_rule_tok` does (man rsync, FILTER RULES).
///
/// Short forms `+ - . : H S P R !`, long names (`include`, `exclude`, `merge`, `dir-merge`, `hide`, `show`,
/// `protect`, `risk`, `clear`) ended by a space, `_` or `,`, then modifiers `/ ! C s r p x` for every rule and
/// `e n w + -` for merge rules only. Errors carry rsync's wording and exit status 1.
public struct FilterRuleParser {
    /// rsync's `XFLG_*` bits that change how text is read.
    public struct Mode: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// `XFLG_OLD_PREFIXES`: `--include`/`--exclude` values and `*-from` files, where only `+ `/`- `
        /// prefixes (and a lone `!`) are recognised.
        public static let oldPrefixes = Mode(rawValue: 1)
        /// `XFLG_ANCHORED2ABS`: a per-directory file, whose anchored patterns are relative to its directory.
        public static let anchoredToDirectory = Mode(rawValue: 2)
        /// `XFLG_FATAL_ERRORS`: a missing file is an error rather than nothing.
        public static let fatalErrors = Mode(rawValue: 4)
    }

    /// One token: its rule bits and the range of its pattern.
    struct Token {
        var flags: FilterRule.Flags
        var pattern: Range<Int>
    }

    static let space = UInt8(ascii: " ")

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    /// rsync `parse_rule_tok`. `text` is one rule string (a `-f` value or one line of a file); `index` moves
    /// past the token. Returns nil when only whitespace (word-split mode) or nothing is left.
    static func nextToken(_ text: [UInt8], _ index: inout Int, template: FilterRule.Flags, mode: Mode,
        deleteExcluded: Bool, source: FilterSource?) throws(SyncError) -> Token?
    {
        let wordSplit = template.contains(.wordSplit)
        @inline(__always) func at(_ i: Int) -> UInt8 { i < text.count ? text[i] : 0 }
        if wordSplit {
            while index < text.count && isSpace(text[index]) { index += 1 }
        }
        let ruleStart = index
        if index >= text.count { return nil }
        var s = index
        var flags = template.intersection(.fromContainer)
        func fail(_ message: String) -> SyncError {
            parseError(message, rule: text[ruleStart...], source: source)
        }

        if template.contains(.noPrefixes) {
            if at(s) == UInt8(ascii: "!") && template.contains(.cvsIgnore) { flags.insert(.clearList) }
        } else if mode.contains(.oldPrefixes) {
            if at(s) == UInt8(ascii: "-") && at(s + 1) == space {
                flags.remove(.include)
                s += 2
            } else if at(s) == UInt8(ascii: "+") && at(s + 1) == space {
                flags.insert(.include)
                s += 2
            } else if at(s) == UInt8(ascii: "!") {
                flags.insert(.clearList)  // tentative: only a lone "!"
            }
        } else {
            var ch: UInt8 = 0
            var sideFromKind = false
            /// rsync `rule_strcmp`: the keyword must be followed by whitespace, `_`, `,` or the end.
            func keyword(_ word: StaticString) -> Bool {
                let length = word.utf8CodeUnitCount
                let same = word.withUTF8Buffer { w in
                    s + length <= text.count && w.elementsEqual(text[s..<(s + length)])
                }
                guard same else { return false }
                let next = at(s + length)
                if isSpace(next) || next == UInt8(ascii: "_") || s + length >= text.count {
                    s += length - 1
                    return true
                }
                if next == UInt8(ascii: ",") {
                    s += length
                    return true
                }
                return false
            }
            switch at(s) {
            case UInt8(ascii: "c"): if keyword("clear") { ch = UInt8(ascii: "!") }
            case UInt8(ascii: "d"): if keyword("dir-merge") { ch = UInt8(ascii: ":") }
            case UInt8(ascii: "e"): if keyword("exclude") { ch = UInt8(ascii: "-") }
            case UInt8(ascii: "h"): if keyword("hide") { ch = UInt8(ascii: "H") }
            case UInt8(ascii: "i"): if keyword("include") { ch = UInt8(ascii: "+") }
            case UInt8(ascii: "m"): if keyword("merge") { ch = UInt8(ascii: ".") }
            case UInt8(ascii: "p"): if keyword("protect") { ch = UInt8(ascii: "P") }
            case UInt8(ascii: "r"): if keyword("risk") { ch = UInt8(ascii: "R") }
            case UInt8(ascii: "s"): if keyword("show") { ch = UInt8(ascii: "S") }
            default:
                ch = at(s)
                if at(s + 1) == UInt8(ascii: ",") { s += 1 }
            }
            switch ch {
            case UInt8(ascii: ":"): flags.formUnion([.perDirectoryMerge, .mergeFile])
            case UInt8(ascii: "."): flags.insert(.mergeFile)
            case UInt8(ascii: "+"): flags.insert(.include)
            case UInt8(ascii: "-"): break
            case UInt8(ascii: "S"):
                flags.formUnion([.include, .senderSide])
                sideFromKind = true
            case UInt8(ascii: "H"):
                flags.insert(.senderSide)
                sideFromKind = true
            case UInt8(ascii: "R"):
                flags.formUnion([.include, .receiverSide])
                sideFromKind = true
            case UInt8(ascii: "P"):
                flags.insert(.receiverSide)
                sideFromKind = true
            case UInt8(ascii: "!"): flags.insert(.clearList)
            default:
                throw fail("Unknown filter rule")
            }
            if ch != UInt8(ascii: "!") {
                while true {
                    s += 1
                    let c = at(s)
                    if s >= text.count || c == space || c == UInt8(ascii: "_") { break }
                    if wordSplit && isSpace(c) {
                        s -= 1
                        break
                    }
                    func invalid() -> SyncError {
                        let shown = c >= 0x20 && c < 0x7F ? String(UnicodeScalar(c)) : "\\#\(c)"
                        // From a file, not even the offending character is told (rsync 3.5).
                        return fail(source != nil ? "invalid modifier in filter rule"
                            : "invalid modifier '\(shown)' at position \(s - ruleStart) in filter rule")
                    }
                    switch c {
                    case UInt8(ascii: "-"):
                        guard flags.contains(.mergeFile), !flags.contains(.noPrefixes) else { throw invalid() }
                        flags.insert(.noPrefixes)
                    case UInt8(ascii: "+"):
                        guard flags.contains(.mergeFile), !flags.contains(.noPrefixes) else { throw invalid() }
                        flags.formUnion([.noPrefixes, .include])
                    case UInt8(ascii: "/"):
                        flags.insert(.absolutePath)
                    case UInt8(ascii: "!"):
                        // Negation goes with a pattern, so it is no use as a merge-file default.
                        guard !flags.contains(.mergeFile) else { throw invalid() }
                        flags.insert(.negate)
                    case UInt8(ascii: "C"):
                        guard !flags.contains(.noPrefixes), !sideFromKind else { throw invalid() }
                        flags.formUnion([.noPrefixes, .wordSplit, .noInherit, .cvsIgnore])
                    case UInt8(ascii: "e"):
                        guard flags.contains(.mergeFile) else { throw invalid() }
                        flags.insert(.excludeSelf)
                    case UInt8(ascii: "n"):
                        guard flags.contains(.mergeFile) else { throw invalid() }
                        flags.insert(.noInherit)
                    case UInt8(ascii: "p"):
                        flags.insert(.perishable)
                    case UInt8(ascii: "r"):
                        guard !sideFromKind else { throw invalid() }
                        flags.insert(.receiverSide)
                    case UInt8(ascii: "s"):
                        guard !sideFromKind else { throw invalid() }
                        flags.insert(.senderSide)
                    case UInt8(ascii: "w"):
                        guard flags.contains(.mergeFile) else { throw invalid() }
                        flags.insert(.wordSplit)
                    case UInt8(ascii: "x"):
                        flags.insert(.xattr)
                    default:
                        throw invalid()
                    }
                }
            }
            if s < text.count { s += 1 }
        }

        if !template.intersection(.sides).isEmpty {
            if !flags.intersection(.sides).isEmpty {
                throw fail("specified-side merge file contains specified-side filter")
            }
            flags.formUnion(template.intersection(.sides))
        }

        var end = s
        if wordSplit {
            while end < text.count && !isSpace(text[end]) { end += 1 }
        } else {
            end = text.count
        }
        let length = end - s
        if flags.contains(.clearList) {
            if !template.contains(.noPrefixes) && !mode.contains(.oldPrefixes) && length > 0 {
                throw fail("'!' rule has trailing characters")
            }
            if length > 1 { flags.remove(.clearList) }
        } else if length == 0 && !flags.contains(.cvsIgnore) {
            throw fail("unexpected end of filter rule")
        }
        // --delete-excluded turns an unmodified include/exclude into a sender-side rule.
        if deleteExcluded && flags.intersection([.senderSide, .receiverSide, .mergeFile, .perDirectoryMerge]).isEmpty {
            flags.insert(.senderSide)
        }
        index = end
        return Token(flags: flags, pattern: s..<end)
    }

    /// rsync's messages say `<what>: <rule>`; for rules read from a file we add where it came from.
    @inline(never)
    /// A rule from an argument is shown as given; one read from a file never is (rsync 3.5: a merge file
    /// may be any file the peer names, and its lines must not come back in a message), only where it was.
    static func parseError(_ what: String, rule: ArraySlice<UInt8>, source: FilterSource?) -> SyncError {
        guard let source else { return SyncError.syntax("\(what): \(OutputEscaper.escape(Array(rule)))") }
        return SyncError.syntax("\(what): <rule from \(source)>")
    }

    /// Splits file content into rule strings as rsync's `parse_filter_file` does: lines end at `\n` or `\r`
    /// (at NUL with `--from0`); word-split files also break at whitespace. Empty pieces are skipped, and so
    /// are lines starting with `;` or `#` unless word-splitting. Calls `body` with each piece and its number.
    static func forEachLine(_ content: [UInt8], wordSplit: Bool, fromZero: Bool,
        _ body: (ArraySlice<UInt8>, Int) throws(SyncError) -> Void) throws(SyncError)
    {
        var start = 0
        var line = 1
        var startLine = 1
        var i = 0
        let newline: UInt8 = fromZero ? 0 : 0x0A
        while i <= content.count {
            let atEnd = i == content.count
            var breaks = atEnd
            if !atEnd {
                let c = content[i]
                if wordSplit && isSpace(c) {
                    breaks = true
                } else if fromZero ? c == 0 : (c == 0x0A || c == 0x0D) {
                    breaks = true
                }
            }
            if breaks {
                // rsync keeps each line as a C string: a NUL byte ends it there ("\0..." is an empty line).
                let end = content[start..<i].firstIndex(of: 0) ?? i
                if end > start {
                    let first = content[start]
                    if wordSplit || (first != UInt8(ascii: ";") && first != UInt8(ascii: "#")) {
                        try body(content[start..<end], startLine)
                    }
                }
                if !atEnd && content[i] == newline { line += 1 }
                start = i + 1
                startLine = line
            }
            i += 1
        }
    }
}
