/// A rule list laid out for matching: flags, counts and pattern offsets in one flat array, patterns in one
/// byte arena. Checking a path then reads plain values instead of copying `FilterRule`s (and retaining their
/// arrays) once per rule; it is rebuilt whenever its list changes, which happens only while rules are read.
struct CompiledRules: Sendable {
    struct Item: Sendable {
        /// Index into the source list (`FilterList.entries` or `cvsRules`).
        var index: Int32
        /// -1 for a rule; otherwise the dir-merge list (`FilterList.perDirectory`) to evaluate here.
        var perDirectory: Int32
        var flags: FilterRule.Flags
        var slashCount: Int32
        var patternStart: Int32
        var patternCount: Int32
        /// The pattern is `*` followed by plain bytes and is matched against the last component only:
        /// `*.o`, `*~`, `*.min.js`. Then a suffix comparison decides, without the wildcard matcher.
        var isSuffixPattern: Bool
        /// The plain bytes a wildcard pattern ends with (`.jpg` in `**/third_party/*.jpg`), in the arena:
        /// a path that does not end with them cannot match, which rejects most paths without the matcher.
        var tailStart: Int32 = 0
        var tailCount: Int32 = 0
    }

    private(set) var items: [Item] = []
    private(set) var arena: [UInt8] = []

    init() {}

    init(_ entries: [FilterList.Entry]) {
        for (index, entry) in entries.enumerated() {
            switch entry {
            case .rule(let rule): append(rule, index: index)
            case .perDirectory(let list):
                items.append(Item(index: Int32(index), perDirectory: Int32(list), flags: [], slashCount: 0,
                    patternStart: 0, patternCount: 0, isSuffixPattern: false))
            }
        }
    }

    init(_ rules: [FilterRule]) {
        for (index, rule) in rules.enumerated() { append(rule, index: index) }
    }

    private mutating func append(_ rule: FilterRule, index: Int) {
        let pattern = rule.pattern
        let star = UInt8(ascii: "*")
        let isSuffix = rule.slashCount == 0 && !rule.flags.contains(.wild2) && !rule.flags.contains(.absolutePath)
            && pattern.first == star && !pattern.dropFirst().contains { byte in
                byte == star || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "[")
                    || byte == UInt8(ascii: "\\") || byte == WildMatch.slash
            }
        var item = Item(index: Int32(index), perDirectory: -1, flags: rule.flags,
            slashCount: Int32(rule.slashCount), patternStart: Int32(arena.count), patternCount: Int32(pattern.count),
            isSuffixPattern: isSuffix)
        // The literal tail: bytes after the last wildcard, when none of them is an escape.
        // Not for patterns matched with something in front of the path (a leading "**/" may match
        // the start; the "/" modifier puts the root in front), where the tail may reach past it.
        if rule.flags.contains(.wild) && rule.flags.isDisjoint(with: [.wild3Suffix, .wild2Prefix, .absolutePath]) {
            var start = pattern.count
            while start > 0 {
                let byte = pattern[start - 1]
                if byte == star || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "\\") {
                    break
                }
                start -= 1
            }
            if start > 0 && start < pattern.count && pattern[start - 1] != UInt8(ascii: "\\") {
                item.tailStart = Int32(arena.count + start)
                item.tailCount = Int32(pattern.count - start)
            }
        }
        items.append(item)
        arena.append(contentsOf: pattern)
    }
}
