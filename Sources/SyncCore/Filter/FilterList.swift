/// Reads a filter file. The path is as rsync would open it: for command-line rules relative to the current
/// directory; inside per-directory files relative to the transfer root (with the directory put in front when
/// the name has a slash). Return nil when the file does not exist; throw for other failures.
public typealias FilterFileLoader = (_ path: [UInt8]) throws(SyncError) -> [UInt8]?

/// Settings that change how rules are read and matched.
public struct FilterConfiguration: Sendable {
    /// `--from0`: filter files (including per-directory ones) are split at NUL bytes, not at line ends.
    public var fromZero = false
    /// `--delete-excluded`: plain include/exclude rules become sender-only.
    public var deleteExcluded = false
    /// The value of `$CVSIGNORE`, used by `-C`.
    public var cvsIgnoreEnvironment: [UInt8]?
    /// The content of `$HOME/.cvsignore` (nil when absent), used by `-C`.
    public var homeCVSIgnore: [UInt8]?
    /// The absolute directory that paths are relative to, for rules with the `/` modifier. Empty: `/`.
    public var absoluteRoot: [UInt8] = [] {
        didSet { absoluteRoot = Self.trimSlashes(absoluteRoot) }
    }
    /// `--match-full-path` (juicefs sync): a pattern containing a `/` (or `**`) must match the whole relative
    /// path from the root, as if it were anchored; patterns without a slash still match the last component.
    /// The caller also stops pruning excluded directories in this mode.
    public var matchFullPath = false

    public init() {}

    static func trimSlashes(_ path: [UInt8]) -> [UInt8] {
        var start = 0
        var end = path.count
        while start < end && path[start] == WildMatch.slash { start += 1 }
        while end > start && path[end - 1] == WildMatch.slash { end -= 1 }
        return Array(path[start..<end])
    }
}

/// The first rule that matched a path (rsync `check_filter`).
public struct FilterMatch: Sendable, Equatable {
    public var rule: FilterRule

    /// True for include/show/risk, false for exclude/hide/protect.
    public var isIncluded: Bool { rule.isInclude }
    /// True when the rule has the `p` modifier (ignored inside directories that are being deleted).
    public var isPerishable: Bool { rule.isPerishable }

    /// rsync's `--debug=FILTER` line (`report_filter_result`), without the newline:
    /// `[sender] hiding file foo.o because of pattern *.o` on the sender, `[generator] protecting ...` or
    /// `[generator] risking ...` on the receiver. rsync 3.5 prints `<rule from a file read earlier>` instead of
    /// patterns read from files; pass `redactFileRules: false` to show them.
    public func debugLine(path: [UInt8], isDirectory: Bool, side: FilterSide, redactFileRules: Bool = true)
        -> String
    {
        let who = side == .sender ? "sender" : "generator"
        let action: String
        switch (side, isIncluded) {
        case (.sender, true): action = "showing"
        case (.sender, false): action = "hiding"
        case (.receiver, true): action = "risking"
        case (.receiver, false): action = "protecting"
        }
        let kind = isDirectory ? "directory" : "file"
        let pattern =
            redactFileRules && rule.source != nil
            ? "<rule from a file read earlier>" : OutputEscaper.escape(rule.displayPattern)
        return "[\(who)] \(action) \(kind) \(OutputEscaper.escape(path)) because of pattern \(pattern)"
            + rule.origin.debugSuffix
    }
}

/// An ordered filter-rule list with rsync's per-directory merge stack (`exclude.c`).
///
/// Build it once from the command-line options, then give each side its own copy: the sender asks
/// `check(_:isDirectory:side: .sender)`, the deleter `side: .receiver`. Traversal calls `enterDirectory`
/// before looking at a directory's entries (this reads `.rsync-filter` and other dir-merge files there) and
/// `leaveDirectory` after. Checking a path does not allocate.
public struct FilterList: Sendable {
    enum Entry: Sendable, Equatable {
        case rule(FilterRule)
        /// A dir-merge rule: evaluate `perDirectory[index]` here.
        case perDirectory(Int)
    }

    /// rsync's `filter_rule_list` for one dir-merge file name: rules from the current directory, then the
    /// ones inherited from its parents.
    struct PerDirectoryList: Sendable, Equatable {
        var rule: FilterRule
        var name: [UInt8]
        var local: [Entry] = []
        var inherited: [Entry] = []
        var active = true
    }

    enum Target {
        case main
        case globalCVS
        case perDirectory(Int)
    }

    var entries: [Entry] = [] {
        didSet { compiledEntries = CompiledRules(entries) }
    }
    /// `entries` and `cvsRules` laid out for fast checks.
    var compiledEntries = CompiledRules()
    var compiledCVSRules = CompiledRules()
    var perDirectory: [PerDirectoryList] = []
    var cvsRules: [FilterRule] = [] {
        didSet { compiledCVSRules = CompiledRules(cvsRules) }
    }
    var cvsInitialized = false
    /// How many merge files are being read inside one another now (`maxMergeDepth`).
    var mergeDepth = 0
    var saved: [(lists: [PerDirectoryList], directory: [UInt8])] = []
    /// The directory being entered, relative to the transfer root ("" for the root).
    var directory: [UInt8] = []
    public var configuration: FilterConfiguration

    public init(configuration: FilterConfiguration = FilterConfiguration()) {
        self.configuration = configuration
    }

    /// Builds the list from the command-line options in order, as rsync's option parser does, then appends
    /// `:C` and `-C` when `-C` was given (rsync puts them after the user's rules).
    /// - Parameter load: reads `--include-from`/`--exclude-from` and `merge` files (paths as the user gave them).
    public init(options: [FilterOption], configuration: FilterConfiguration = FilterConfiguration(),
        load: FilterFileLoader) throws(SyncError)
    {
        self.configuration = configuration
        var perDirectoryCount = 0
        var cvsExclude = false
        for option in options {
            let value = Array(option.value.utf8)
            switch option.kind {
            case .filter:
                try add(value, load: load)
            case .include:
                try add(value, template: .include, mode: .oldPrefixes, load: load)
            case .exclude:
                try add(value, mode: .oldPrefixes, load: load)
            case .includeFrom, .excludeFrom:
                let template: FilterRule.Flags = option.kind == .includeFrom ? .include : []
                let content = try Self.loadRules(value, template: template, load: load)
                try addFile(content, name: value, template: template, mode: [.oldPrefixes, .fatalErrors],
                    load: load)
            case .perDirectoryFilter:
                perDirectoryCount += 1
                if perDirectoryCount == 1 {
                    try add(Array(": /.rsync-filter".utf8), load: load)
                } else if perDirectoryCount == 2 {
                    try add(Array("- .rsync-filter".utf8), load: load)
                }
            case .cvsExclude:
                cvsExclude = true
            }
        }
        if cvsExclude {
            try add(Array(":C".utf8), load: load)
            try add(Array("-C".utf8), load: load)
        }
    }

    /// Adds one rule string (a `--filter` value, or with `mode: .oldPrefixes` an `--include`/`--exclude` value
    /// with `template: .include` for includes).
    public mutating func add(_ rule: [UInt8], template: FilterRule.Flags = [],
        mode: FilterRuleParser.Mode = [], load: FilterFileLoader) throws(SyncError)
    {
        try parse(rule[...], template: template, mode: mode, target: .main, source: nil, origin: .main, load: load)
    }

    /// Adds the rules of a file's content (`--exclude-from`: `mode: [.oldPrefixes, .fatalErrors]`).
    public mutating func addFile(_ content: [UInt8], name: [UInt8], template: FilterRule.Flags = [],
        mode: FilterRuleParser.Mode = [.fatalErrors], load: FilterFileLoader) throws(SyncError)
    {
        try parseFile(content, name: name, template: template, mode: mode, target: .main, origin: .main,
            load: load)
    }

    /// The rules at the top level (dir-merge rules show up as rules with `.perDirectoryMerge`), in order.
    public var rules: [FilterRule] {
        entries.map { entry in
            switch entry {
            case .rule(let rule): return rule
            case .perDirectory(let index): return perDirectory[index].rule
            }
        }
    }

    /// The rules in effect for dir-merge file `name` in the current directory: local first, then inherited.
    public func perDirectoryRules(named name: [UInt8]) -> [FilterRule] {
        guard let list = perDirectory.last(where: { $0.active && $0.name == name }) else { return [] }
        return (list.local + list.inherited).compactMap {
            if case .rule(let rule) = $0 { return rule }
            return nil
        }
    }

    /// True when some dir-merge rule is active, so traversal has to call `enterDirectory`/`leaveDirectory`.
    public var hasPerDirectoryRules: Bool { perDirectory.contains { $0.active } }

    // MARK: Per-directory stack

    /// rsync `push_local_filters`: called before checking the entries of directory `path` (relative to the
    /// transfer root, "" for the root itself). Reads each active dir-merge file there through `load`, which
    /// gets the file's path relative to the transfer root (`sub/dir/.rsync-filter`).
    public mutating func enterDirectory(_ path: [UInt8], load: FilterFileLoader) throws(SyncError) {
        saved.append((perDirectory, directory))
        directory = FilterConfiguration.trimSlashes(path)
        if directory == PathBytes.dot { directory = [] }
        var index = 0
        // Files read here can add dir-merge rules; those are read in this directory too.
        while index < perDirectory.count {
            if perDirectory[index].active {
                var list = perDirectory[index]
                if list.rule.flags.contains(.noInherit) {
                    list.inherited = []
                } else if !list.local.isEmpty {
                    list.inherited = list.local + list.inherited
                }
                list.local = []
                perDirectory[index] = list
                let filePath = PathBytes.join(directory, list.name)
                if let content = try load(filePath) {
                    try parseFile(content, name: filePath, template: list.rule.flags, mode: .anchoredToDirectory,
                        target: .perDirectory(index), origin: .perDirectory(name: list.name), load: load,
                        namedBy: list.rule.source)
                }
            }
            index += 1
        }
    }

    /// rsync `pop_local_filters`: undoes the matching `enterDirectory`.
    public mutating func leaveDirectory() {
        guard let state = saved.popLast() else { return }
        perDirectory = state.lists
        directory = state.directory
    }

    // MARK: Parsing

    /// rsync's message for a rules file that cannot be opened: missing (`cause` nil), or the failed call.
    static func openError(_ name: [UInt8], template: FilterRule.Flags, cause: SystemCallError? = nil) -> SyncError {
        let kind = template.contains(.include) ? "include" : "exclude"
        let reason = cause.map { "\($0.errnoText) (\($0.errno))" } ?? "No such file or directory (2)"
        return SyncError(.fileIO, "[client] failed to open \(kind) file \(OutputEscaper.escape(name)): \(reason)")
    }

    /// A rules file's content through `load`, or rsync's error for it.
    static func loadRules(_ path: [UInt8], template: FilterRule.Flags, load: FilterFileLoader) throws(SyncError)
        -> [UInt8]
    {
        let loaded: [UInt8]?
        do { loaded = try load(path) } catch {
            guard let cause = error.cause else { throw error }
            throw openError(path, template: template, cause: cause)
        }
        guard let content = loaded else { throw openError(path, template: template) }
        return content
    }

    /// rsync's `MAX_MERGE_DEPTH`: merge files that merge files, at most this deep (one that merges itself
    /// would otherwise recurse until the stack is gone).
    static let maxMergeDepth = 32

    /// `namedBy`: the rule that named this file, when it was read from a file itself.
    mutating func parseFile(_ content: [UInt8], name: [UInt8], template: FilterRule.Flags,
        mode: FilterRuleParser.Mode, target: Target, origin: FilterOrigin, load: FilterFileLoader,
        namedBy: FilterSource? = nil) throws(SyncError)
    {
        mergeDepth += 1
        defer { mergeDepth -= 1 }
        if mergeDepth > Self.maxMergeDepth {
            throw SyncError(.fileIO, "merge-file include depth limit (\(Self.maxMergeDepth)) exceeded at <rule from "
                + (namedBy.map { "\($0)" } ?? OutputEscaper.escape(name)) + ">")
        }
        try FilterRuleParser.forEachLine(content, wordSplit: template.contains(.wordSplit),
            fromZero: configuration.fromZero)
        { (line: ArraySlice<UInt8>, number: Int) throws(SyncError) in
            try parse(line, template: template, mode: mode, target: target,
                source: FilterSource(file: name, line: number, isNamedInAFile: namedBy != nil), origin: origin, load: load)
        }
    }

    /// rsync `parse_filter_str`.
    mutating func parse(_ text: ArraySlice<UInt8>, template: FilterRule.Flags, mode: FilterRuleParser.Mode,
        target: Target, source: FilterSource?, origin: FilterOrigin, load: FilterFileLoader) throws(SyncError)
    {
        let text = Array(text)
        var index = 0
        while let token = try FilterRuleParser.nextToken(text, &index, template: template, mode: mode,
            deleteExcluded: configuration.deleteExcluded, source: source)
        {
            var flags = token.flags
            var pattern = text[token.pattern]
            if flags.contains(.clearList) {
                clear(target)
                continue
            }
            if flags.contains(.mergeFile) {
                if pattern.isEmpty { pattern = Array(".cvsignore".utf8)[...] }
                if flags.contains(.excludeSelf) {
                    let base = Self.lastComponent(pattern)
                    append(FilterRule.compile(flags: [], pattern: base, directoryPrefix: nil, source: source,
                        origin: origin), to: target)
                    flags.remove(.excludeSelf)
                }
                if flags.contains(.perDirectoryMerge) {
                    // rsync scans the parent directories of the transfer for a name with a leading path
                    // (`-F` is `: /.rsync-filter`); we only use the last component in each transfer directory.
                    let name = Array(Self.lastComponent(pattern))
                    if perDirectory.contains(where: { $0.active && $0.name == name }) { continue }
                    let rule = FilterRule(flags: flags, pattern: Array(pattern), slashCount: 0, source: source,
                        origin: origin)
                    perDirectory.append(PerDirectoryList(rule: rule, name: name))
                    append(.perDirectory(perDirectory.count - 1), to: target)
                } else {
                    let path = resolveMergeName(pattern)
                    let content = try Self.loadRules(path, template: flags, load: load)
                    try parseFile(content, name: path, template: flags, mode: .fatalErrors, target: target,
                        origin: origin, load: load, namedBy: source)
                }
                continue
            }
            let prefix = mode.contains(.anchoredToDirectory) ? directory : nil
            append(FilterRule.compile(flags: flags, pattern: pattern, directoryPrefix: prefix, source: source,
                origin: origin), to: target)
            if flags.contains(.cvsIgnore) { try loadGlobalCVS(flags) }
        }
    }

    /// rsync `get_cvs_excludes`: the default list (perishable), `$HOME/.cvsignore`, then `$CVSIGNORE`.
    mutating func loadGlobalCVS(_ flags: FilterRule.Flags) throws(SyncError) {
        if cvsInitialized { return }
        cvsInitialized = true
        let none: FilterFileLoader = { (_: [UInt8]) throws(SyncError) -> [UInt8]? in nil }
        try parse(CVSIgnore.defaultList[...], template: flags.union(.perishable), mode: [], target: .globalCVS,
            source: nil, origin: .globalCVS, load: none)
        if let home = configuration.homeCVSIgnore {
            try parseFile(home, name: Array("$HOME/.cvsignore".utf8), template: flags, mode: [],
                target: .globalCVS, origin: .globalCVS, load: none)
        }
        if let environment = configuration.cvsIgnoreEnvironment {
            try parse(environment[...], template: flags, mode: [], target: .globalCVS, source: nil,
                origin: .globalCVS, load: none)
        }
    }

    /// rsync `parse_merge_name`: a name with a slash inside a per-directory file is relative to that directory.
    func resolveMergeName(_ name: ArraySlice<UInt8>) -> [UInt8] {
        if name.first == WildMatch.slash || !name.contains(WildMatch.slash) { return Array(name) }
        return PathBytes.join(directory, Array(name))
    }

    static func lastComponent(_ name: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        if let slash = name.lastIndex(of: WildMatch.slash) { return name[(slash + 1)...] }
        return name
    }

    mutating func append(_ rule: FilterRule, to target: Target) {
        append(.rule(rule), to: target)
    }

    mutating func append(_ entry: Entry, to target: Target) {
        switch target {
        case .main: entries.append(entry)
        case .perDirectory(let index): perDirectory[index].local.append(entry)
        case .globalCVS:
            if case .rule(let rule) = entry { cvsRules.append(rule) }
        }
    }

    /// The `!` rule: forget the rules of the list being read (for a per-directory file, its inherited ones too).
    mutating func clear(_ target: Target) {
        switch target {
        case .main:
            for case .perDirectory(let index) in entries { perDirectory[index].active = false }
            entries = []
        case .perDirectory(let index):
            for case .perDirectory(let nested) in perDirectory[index].local { perDirectory[nested].active = false }
            perDirectory[index].local = []
            perDirectory[index].inherited = []
        case .globalCVS:
            cvsRules = []
        }
    }
}
