/// Matching a path against the list: rsync's `check_filter` and `rule_matches`.
extension FilterList {
    /// The first rule that matches `path` on `side`, or nil when none does (the path is then included).
    ///
    /// `path` is relative to the transfer root, without a leading `./` ("sub/file.c"). Rules meant only for the
    /// other side are skipped, and so are perishable rules when `ignorePerishable` is set (rsync does that while
    /// deleting the contents of a directory that is itself being deleted).
    public func check(_ path: [UInt8], isDirectory: Bool, side: FilterSide, ignorePerishable: Bool = false)
        -> FilterMatch?
    {
        path.withUnsafeBufferPointer { check($0, isDirectory: isDirectory, side: side,
            ignorePerishable: ignorePerishable) }
    }

    /// The same for a slice of a larger buffer.
    public func check(_ path: ArraySlice<UInt8>, isDirectory: Bool, side: FilterSide,
        ignorePerishable: Bool = false) -> FilterMatch?
    {
        path.withUnsafeBufferPointer { check($0, isDirectory: isDirectory, side: side,
            ignorePerishable: ignorePerishable) }
    }

    /// True when the first matching rule excludes (hides/protects) `path`.
    public func isExcluded(_ path: [UInt8], isDirectory: Bool, side: FilterSide, ignorePerishable: Bool = false)
        -> Bool
    {
        guard let match = check(path, isDirectory: isDirectory, side: side, ignorePerishable: ignorePerishable)
        else { return false }
        return !match.isIncluded
    }

    public func check(_ path: UnsafeBufferPointer<UInt8>, isDirectory: Bool, side: FilterSide,
        ignorePerishable: Bool = false) -> FilterMatch?
    {
        var body = path
        if let first = body.first, first == WildMatch.slash { body = UnsafeBufferPointer(rebasing: body[1...]) }
        if body.isEmpty { return nil }
        var nameStart = body.count
        while nameStart > 0 && body[nameStart - 1] != WildMatch.slash { nameStart -= 1 }
        return configuration.absoluteRoot.withUnsafeBufferPointer { root in
            let subject = FilterSubject(path: body, nameStart: nameStart, isDirectory: isDirectory, root: root,
                fullPath: configuration.matchFullPath, side: side, ignorePerishable: ignorePerishable)
            return firstMatchCompiled(subject)
        }
    }

    /// `firstMatch` over the main list through its compiled form.
    func firstMatchCompiled(_ subject: FilterSubject) -> FilterMatch? {
        compiledEntries.items.withUnsafeBufferPointer { items in
            compiledEntries.arena.withUnsafeBufferPointer { arena in
                for item in items {
                    if item.perDirectory >= 0 {
                        let list = perDirectory[Int(item.perDirectory)]
                        if subject.ignorePerishable && list.rule.flags.contains(.perishable) { continue }
                        if let match = firstMatch(list.local, subject) ?? firstMatch(list.inherited, subject) {
                            return match
                        }
                        continue
                    }
                    if subject.ignorePerishable && item.flags.contains(.perishable) { continue }
                    if !FilterRule.applies(item.flags, to: subject.side) { continue }
                    if item.flags.contains(.cvsIgnore) {
                        if let match = firstCVSMatch(subject) { return match }
                        continue
                    }
                    if subject.matches(item, arena: arena) {
                        guard case .rule(let rule) = entries[Int(item.index)] else { continue }
                        return FilterMatch(rule: rule)
                    }
                }
                return nil
            }
        }
    }

    func firstCVSMatch(_ subject: FilterSubject) -> FilterMatch? {
        compiledCVSRules.items.withUnsafeBufferPointer { items in
            compiledCVSRules.arena.withUnsafeBufferPointer { arena in
                for item in items {
                    if subject.ignorePerishable && item.flags.contains(.perishable) { continue }
                    if !FilterRule.applies(item.flags, to: subject.side) { continue }
                    if subject.matches(item, arena: arena) { return FilterMatch(rule: cvsRules[Int(item.index)]) }
                }
                return nil
            }
        }
    }

    func firstMatch(_ list: [Entry], _ subject: FilterSubject) -> FilterMatch? {
        for entry in list {
            switch entry {
            case .rule(let rule):
                if subject.ignorePerishable && rule.flags.contains(.perishable) { continue }
                if !rule.applies(to: subject.side) { continue }
                if rule.flags.contains(.cvsIgnore) {
                    for cvsRule in cvsRules {
                        if subject.ignorePerishable && cvsRule.flags.contains(.perishable) { continue }
                        if !cvsRule.applies(to: subject.side) { continue }
                        if subject.matches(cvsRule) { return FilterMatch(rule: cvsRule) }
                    }
                    continue
                }
                if subject.matches(rule) { return FilterMatch(rule: rule) }
            case .perDirectory(let index):
                let list = perDirectory[index]
                if subject.ignorePerishable && list.rule.flags.contains(.perishable) { continue }
                if let match = firstMatch(list.local, subject) ?? firstMatch(list.inherited, subject) {
                    return match
                }
            }
        }
        return nil
    }
}

/// One path being checked, with what every rule needs precomputed.
struct FilterSubject {
    let path: UnsafeBufferPointer<UInt8>
    let nameStart: Int
    let isDirectory: Bool
    let root: UnsafeBufferPointer<UInt8>
    let fullPath: Bool
    let side: FilterSide
    let ignorePerishable: Bool

    /// A compiled rule: a suffix pattern (`*.o`) is compared directly, anything else goes to `matches`.
    @inline(__always)
    func matches(_ item: CompiledRules.Item, arena: UnsafeBufferPointer<UInt8>) -> Bool {
        let pattern = UnsafeBufferPointer(rebasing: arena[Int(item.patternStart)..<Int(item.patternStart + item.patternCount)])
        if item.isSuffixPattern && !item.flags.contains(.xattr) {
            let hit = !item.flags.contains(.negate)
            if !isDirectory && item.flags.contains(.directoryOnly) { return !hit }
            let suffix = pattern.count - 1
            let nameCount = path.count - nameStart
            guard nameCount >= suffix else { return !hit }
            var i = 0
            let base = path.count - suffix
            while i < suffix {
                if path[base + i] != pattern[1 + i] { return !hit }
                i += 1
            }
            return hit
        }
        if item.tailCount > 0 && !item.flags.contains(.xattr) {
            // The whole text must end with the pattern's literal tail (a trailing slash is only added
            // for `***` patterns, which have no tail).
            let tail = Int(item.tailCount)
            let start = Int(item.tailStart)
            var matchesTail = path.count >= tail
            var i = 0
            while matchesTail && i < tail {
                if path[path.count - tail + i] != arena[start + i] { matchesTail = false }
                i += 1
            }
            if !matchesTail {
                let hit = !item.flags.contains(.negate)
                return !hit
            }
        }
        return matches(flags: item.flags, slashCount: Int(item.slashCount), pattern: pattern)
    }

    /// rsync `rule_matches`.
    func matches(_ rule: FilterRule) -> Bool {
        rule.pattern.withUnsafeBufferPointer { matches(flags: rule.flags, slashCount: rule.slashCount, pattern: $0) }
    }

    func matches(flags: FilterRule.Flags, slashCount: Int, pattern whole: UnsafeBufferPointer<UInt8>) -> Bool {
        let hit = !flags.contains(.negate)
        if flags.contains(.xattr) { return false }
        var body = path
        var head = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        var headSlash = false
        if slashCount == 0 && !flags.contains(.wild2) {
            // No slash and no "**": match the last component only.
            body = UnsafeBufferPointer(rebasing: path[nameStart...])
        } else if flags.contains(.absolutePath) && !root.isEmpty {
            head = root
            headSlash = true
        } else if flags.contains(.wild2Prefix) {
            headSlash = true  // lets "**/" match at the start
        }
        var tailSlash = false
        if isDirectory {
            if flags.contains(.wild3Suffix) { tailSlash = true }  // lets "/***" match the directory itself
        } else if flags.contains(.directoryOnly) {
            return !hit
        }
        do {
            var pattern = whole
            var anchored = false
            if let first = pattern.first, first == WildMatch.slash {
                anchored = true
                pattern = UnsafeBufferPointer(rebasing: pattern[1...])
            }
            var slashHandling = 0
            if !anchored && !(fullPath && (slashCount > 0 || flags.contains(.wild2))) {
                if slashCount > 0 && !flags.contains(.wild2) {
                    // An unanchored pattern with an inner slash matches the last slashCount+1 elements.
                    slashHandling = slashCount + 1
                } else if !flags.contains(.wild2Prefix) && flags.contains(.wild2) {
                    // An inner or trailing "**": try after every slash.
                    slashHandling = -1
                }
            }
            let text = WildText(head: head, headSlash: headSlash, body: body, tailSlash: tailSlash)
            let matched: Bool
            if flags.contains(.wild) {
                matched = WildMatch.matchArray(pattern, text, where: slashHandling)
            } else if head.count > 0 || headSlash || tailSlash {
                matched = WildMatch.literalArray(pattern, text, where: slashHandling)
            } else if anchored || (fullPath && slashCount > 0) {
                matched = pattern.elementsEqual(body)
            } else {
                // Unanchored literal: equal, or a suffix that starts right after a slash.
                let n = body.count
                let m = pattern.count
                matched = m <= n && (m == n || body[n - m - 1] == WildMatch.slash)
                    && UnsafeBufferPointer(rebasing: body[(n - m)...]).elementsEqual(pattern)
            }
            return matched ? hit : !hit
        }
    }
}
