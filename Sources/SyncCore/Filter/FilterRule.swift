/// Where a filter rule came from, for error messages and `--debug=FILTER` output.
public struct FilterSource: Sendable, Equatable, CustomStringConvertible {
    /// The file's name as the user or the per-directory scan gave it (`exclude.txt`, `sub/.rsync-filter`).
    public var file: [UInt8]
    /// 1-based line (or, for word-split files, token) number.
    public var line: Int
    /// The file was named by a rule read from another file (a peer's or a planted dir-merge file may name
    /// any file), so not even its name is shown.
    public var isNamedInAFile = false

    public init(file: [UInt8], line: Int, isNamedInAFile: Bool = false) {
        self.file = file
        self.line = line
        self.isNamedInAFile = isNamedInAFile
    }

    /// Where a rule came from, as rsync says it: `rules line 3`, or `a file read earlier`.
    public var description: String { isNamedInAFile ? "a file read earlier" : "\(OutputEscaper.escape(file)) line \(line)" }
}

/// Which list a rule was added to, as rsync's `debug_type` names it (`""`, `" [per-dir .rsync-filter]"`,
/// `" [global CVS]"`).
public enum FilterOrigin: Sendable, Equatable {
    case main
    case perDirectory(name: [UInt8])
    case globalCVS

    /// rsync's suffix for `--debug=FILTER` lines.
    public var debugSuffix: String {
        switch self {
        case .main: return ""
        case .perDirectory(let name): return " [per-dir \(OutputEscaper.escape(name))]"
        case .globalCVS: return " [global CVS]"
        }
    }
}

/// One filter rule after parsing (rsync `filter_rule`), ready to match.
///
/// `pattern` is what rsync keeps in `filter_rule.pattern`: a trailing `/` is removed (and recorded in
/// `.directoryOnly`), and a leading `/` in a per-directory file gets that directory's path put in front.
public struct FilterRule: Sendable, Equatable {
    /// rsync's `FILTRULE_*` bits.
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `FILTRULE_WILD`: the pattern has `*`, `?` or `[`.
        public static let wild = Flags(rawValue: 1 << 0)
        /// `FILTRULE_WILD2`: the pattern has `**`.
        public static let wild2 = Flags(rawValue: 1 << 1)
        /// `FILTRULE_WILD2_PREFIX`: the pattern starts with `**`.
        public static let wild2Prefix = Flags(rawValue: 1 << 2)
        /// `FILTRULE_WILD3_SUFFIX`: the pattern ends with `***`.
        public static let wild3Suffix = Flags(rawValue: 1 << 3)
        /// `FILTRULE_ABS_PATH`: the `/` modifier, match against the absolute path.
        public static let absolutePath = Flags(rawValue: 1 << 4)
        /// `FILTRULE_INCLUDE`: include/show/risk rather than exclude/hide/protect.
        public static let include = Flags(rawValue: 1 << 5)
        /// `FILTRULE_DIRECTORY`: the pattern ended in `/`, so it matches directories only.
        public static let directoryOnly = Flags(rawValue: 1 << 6)
        /// `FILTRULE_WORD_SPLIT`: the `w` modifier (split a merge file on whitespace).
        public static let wordSplit = Flags(rawValue: 1 << 7)
        /// `FILTRULE_NO_INHERIT`: the `n` modifier.
        public static let noInherit = Flags(rawValue: 1 << 8)
        /// `FILTRULE_NO_PREFIXES`: the `+`/`-` merge modifiers (lines are bare patterns).
        public static let noPrefixes = Flags(rawValue: 1 << 9)
        /// `FILTRULE_MERGE_FILE`: a `.` or `:` rule.
        public static let mergeFile = Flags(rawValue: 1 << 10)
        /// `FILTRULE_PERDIR_MERGE`: a `:` (dir-merge) rule.
        public static let perDirectoryMerge = Flags(rawValue: 1 << 11)
        /// `FILTRULE_EXCLUDE_SELF`: the `e` modifier.
        public static let excludeSelf = Flags(rawValue: 1 << 12)
        /// `FILTRULE_FINISH_SETUP` is not needed: merge names are reduced to their last component at parse time.
        /// `FILTRULE_NEGATE`: the `!` modifier.
        public static let negate = Flags(rawValue: 1 << 14)
        /// `FILTRULE_CVS_IGNORE`: the `C` modifier.
        public static let cvsIgnore = Flags(rawValue: 1 << 15)
        /// `FILTRULE_SENDER_SIDE`: `s`, or the hide/show rule kinds.
        public static let senderSide = Flags(rawValue: 1 << 16)
        /// `FILTRULE_RECEIVER_SIDE`: `r`, or the protect/risk rule kinds.
        public static let receiverSide = Flags(rawValue: 1 << 17)
        /// `FILTRULE_CLEAR_LIST`: the `!` (clear) rule.
        public static let clearList = Flags(rawValue: 1 << 18)
        /// `FILTRULE_PERISHABLE`: the `p` modifier.
        public static let perishable = Flags(rawValue: 1 << 19)
        /// `FILTRULE_XATTR`: the `x` modifier. We keep such rules but they never match file names.
        public static let xattr = Flags(rawValue: 1 << 20)

        static let sides: Flags = [.senderSide, .receiverSide]
        /// `FILTRULES_FROM_CONTAINER`: what a merge rule passes on to the rules it reads.
        static let fromContainer: Flags = [.absolutePath, .include, .directoryOnly, .negate, .perishable]
    }

    public var flags: Flags
    /// The compiled pattern (see the type's summary).
    public var pattern: [UInt8]
    /// rsync `u.slash_cnt`: slashes in `pattern` other than a removed trailing one.
    public var slashCount: Int
    public var source: FilterSource?
    public var origin: FilterOrigin

    public init(flags: Flags, pattern: [UInt8], slashCount: Int, source: FilterSource? = nil,
        origin: FilterOrigin = .main)
    {
        self.flags = flags
        self.pattern = pattern
        self.slashCount = slashCount
        self.source = source
        self.origin = origin
    }

    public var isInclude: Bool { flags.contains(.include) }
    public var isPerishable: Bool { flags.contains(.perishable) }

    /// Whether the rule is used on `side` (rules naming no side are used on both).
    @inline(__always)
    public func applies(to side: FilterSide) -> Bool {
        Self.applies(flags, to: side)
    }

    static func applies(_ flags: Flags, to side: FilterSide) -> Bool {
        let sides = flags.intersection(.sides)
        if sides.isEmpty { return true }
        return sides.contains(side == .sender ? .senderSide : .receiverSide)
    }

    /// The pattern as rsync prints it in debug output: with its trailing `/` put back.
    public var displayPattern: [UInt8] {
        flags.contains(.directoryOnly) ? pattern + [UInt8(ascii: "/")] : pattern
    }

    /// rsync's `get_rule_prefix` (for the current protocol): `+`/`-`/`:` and the modifiers, then a space.
    public var rulePrefix: String {
        var out = ""
        if flags.contains(.perDirectoryMerge) {
            out += ":"
        } else if flags.contains(.include) {
            out += "+"
        } else {
            out += "-"
        }
        if flags.contains(.absolutePath) { out += "/" }
        if flags.contains(.negate) { out += "!" }
        if flags.contains(.cvsIgnore) {
            out += "C"
        } else {
            if flags.contains(.noInherit) { out += "n" }
            if flags.contains(.wordSplit) { out += "w" }
            if flags.contains(.noPrefixes) { out += flags.contains(.include) ? "+" : "-" }
        }
        if flags.contains(.excludeSelf) { out += "e" }
        if flags.contains(.xattr) { out += "x" }
        if flags.contains(.senderSide) { out += "s" }
        if flags.contains(.receiverSide) { out += "r" }
        if flags.contains(.perishable) { out += "p" }
        return out + " "
    }

    /// Builds a rule the way rsync's `add_rule` does: strip a trailing `/`, put `directoryPrefix` (the
    /// per-directory file's directory, relative to the transfer root) in front of an anchored pattern, and
    /// work out the wildcard flags and slash count.
    static func compile(flags inputFlags: Flags, pattern input: ArraySlice<UInt8>, directoryPrefix: [UInt8]?,
        source: FilterSource?, origin: FilterOrigin) -> FilterRule
    {
        var flags = inputFlags
        var pat = input
        if pat.count > 1 && pat.last == WildMatch.slash {
            pat = pat.dropLast()
            flags.insert(.directoryOnly)
        }
        var pattern: [UInt8]
        if let prefix = directoryPrefix, !flags.contains(.absolutePath), !flags.contains(.mergeFile),
            pat.first == WildMatch.slash
        {
            // rsync prepends the directory's absolute path and matches absolutely; we keep the path relative to
            // the transfer root, which is the same thing when paths are relative to that root.
            pattern = [WildMatch.slash]
            pattern.reserveCapacity(prefix.count + pat.count + 1)
            pattern.append(contentsOf: prefix)
            if !prefix.isEmpty { pattern.append(contentsOf: pat) } else { pattern.append(contentsOf: pat.dropFirst()) }
        } else {
            pattern = Array(pat)
        }
        var slashCount = 0
        for byte in pattern where byte == WildMatch.slash { slashCount += 1 }
        if WildMatch.hasWildcards(pattern) {
            flags.insert(.wild)
            if let i = firstDoubleStar(pattern) {
                flags.insert(.wild2)
                if i == 0 { flags.insert(.wild2Prefix) }
                let n = pattern.count
                if n >= 3 && pattern[n - 3] == UInt8(ascii: "*") && pattern[n - 2] == UInt8(ascii: "*")
                    && pattern[n - 1] == UInt8(ascii: "*")
                {
                    flags.insert(.wild3Suffix)
                }
            }
        }
        return FilterRule(flags: flags, pattern: pattern, slashCount: slashCount, source: source, origin: origin)
    }

    private static func firstDoubleStar(_ p: [UInt8]) -> Int? {
        var i = 0
        while i + 1 < p.count {
            if p[i] == UInt8(ascii: "*") && p[i + 1] == UInt8(ascii: "*") { return i }
            i += 1
        }
        return nil
    }
}

/// The two places rules are used: the sender builds the file list (exclude/include/hide/show), the receiver
/// decides what `--delete` may remove (exclude/include/protect/risk).
public enum FilterSide: Sendable, Equatable {
    case sender
    case receiver
}
