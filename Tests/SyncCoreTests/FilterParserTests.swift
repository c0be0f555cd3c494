import SyncTestSupport
import Testing
@testable import SyncCore

/// Rule text → parsed rules, and malformed rules → rsync's messages (recorded from rsync 3.5.0 `-f RULE`).
@Suite("Filter rule parsing", .tags(.small))
struct FilterParserTests {

    static func files(_ table: [String: String]) -> FilterFileLoader {
        { (path: [UInt8]) throws(SyncError) -> [UInt8]? in table[String(decoding: path, as: UTF8.self)].map { Array($0.utf8) } }
    }

    static func list(_ options: [FilterOption], files: [String: String] = [:],
        configure: (inout FilterConfiguration) -> Void = { _ in }) throws -> FilterList
    {
        var configuration = FilterConfiguration()
        configure(&configuration)
        return try FilterList(options: options, configuration: configuration, load: Self.files(files))
    }

    /// (rule text, rulePrefix + pattern as rsync's get_rule_prefix would print it)
    static let valid: [(String, String)] = [
        ("- foo", "- foo"), ("+ foo", "+ foo"), ("-,s foo", "-s foo"), ("-s foo", "-s foo"), ("exclude foo", "- foo"),
        ("include foo", "+ foo"), ("exclude,r foo", "-r foo"), ("exclude_foo", "- foo"), ("-_foo", "- foo"),
        ("hide foo", "-s foo"), ("show foo", "+s foo"), ("protect foo", "-r foo"), ("risk foo", "+r foo"),
        ("H foo", "-s foo"), ("S foo", "+s foo"), ("P foo", "-r foo"), ("R foo", "+r foo"), ("-! foo", "-! foo"),
        ("+/ /abs", "+/ /abs"), ("-p foo", "-p foo"), ("-x user.*", "-x user.*"), ("-sr foo", "-sr foo"),
        ("+,/ foo", "+/ foo"), ("- foo/", "- foo/"), ("- a b ", "- a b "), ("-  lead", "-  lead"),
        ("- /", "- /"), ("-C", "-C "), ("H,p foo", "-sp foo"), ("Pp foo", "-rp foo"),
    ]

    @Test(arguments: valid)
    func parsesRule(_ row: (String, String)) throws {
        let list = try Self.list([FilterOption(.filter, row.0)])
        let rule = try #require(list.rules.first)
        #expect(rule.rulePrefix + String(decoding: rule.displayPattern, as: UTF8.self) == row.1)
    }

    /// (value, kind, expected prefix+pattern) for --include/--exclude, where only "+ "/"- " prefixes count.
    static let oldPrefixes: [(String, FilterOption.Kind, String)] = [
        ("*.o", .exclude, "- *.o"), ("*.o", .include, "+ *.o"), ("+ *.c", .exclude, "+ *.c"),
        ("- *.c", .include, "- *.c"), ("+*.c", .exclude, "- +*.c"), ("-s foo", .exclude, "- -s foo"),
        ("hide foo", .include, "+ hide foo"), ("!x", .exclude, "- !x"), ("merge x", .exclude, "- merge x"),
    ]

    @Test(arguments: oldPrefixes)
    func includeExcludeValues(_ row: (String, FilterOption.Kind, String)) throws {
        let list = try Self.list([FilterOption(row.1, row.0)])
        let rule = try #require(list.rules.first)
        #expect(rule.rulePrefix + String(decoding: rule.displayPattern, as: UTF8.self) == row.2)
    }

    /// Messages as rsync 3.5.0 prints them for `-f RULE`; all exit with status 1.
    static let invalid: [(String, String)] = [
        ("zz foo", "Unknown filter rule: zz foo"),
        ("excludex foo", "Unknown filter rule: excludex foo"),
        ("x foo", "Unknown filter rule: x foo"),
        ("-q foo", "invalid modifier 'q' at position 1 in filter rule: -q foo"),
        ("-", "unexpected end of filter rule: -"),
        ("+", "unexpected end of filter rule: +"),
        ("-,", "unexpected end of filter rule: -,"),
        ("- ", "unexpected end of filter rule: - "),
        ("include", "unexpected end of filter rule: include"),
        ("merge", "unexpected end of filter rule: merge"),
        (":", "unexpected end of filter rule: :"),
        ("dir-merge,x", "unexpected end of filter rule: dir-merge,x"),
        ("! x", "'!' rule has trailing characters: ! x"),
        ("clear x", "'!' rule has trailing characters: clear x"),
        ("Hs foo", "invalid modifier 's' at position 1 in filter rule: Hs foo"),
        ("Pr foo", "invalid modifier 'r' at position 1 in filter rule: Pr foo"),
        ("HC", "invalid modifier 'C' at position 1 in filter rule: HC"),
        ("-e foo", "invalid modifier 'e' at position 1 in filter rule: -e foo"),
        ("-n foo", "invalid modifier 'n' at position 1 in filter rule: -n foo"),
        ("-w foo", "invalid modifier 'w' at position 1 in filter rule: -w foo"),
        (".! foo", "invalid modifier '!' at position 1 in filter rule: .! foo"),
        (":! foo", "invalid modifier '!' at position 1 in filter rule: :! foo"),
        (".+- foo", "invalid modifier '-' at position 2 in filter rule: .+- foo"),
        (".-+ foo", "invalid modifier '+' at position 2 in filter rule: .-+ foo"),
        (".C+ foo", "invalid modifier '+' at position 2 in filter rule: .C+ foo"),
        ("hide,s foo", "invalid modifier 's' at position 5 in filter rule: hide,s foo"),
        ("show,r foo", "invalid modifier 'r' at position 5 in filter rule: show,r foo"),
    ]

    @Test(arguments: invalid)
    func rejectsRule(_ row: (String, String)) {
        #expect {
            _ = try Self.list([FilterOption(.filter, row.0)])
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.message == row.1 && error.status == .syntax
        }
    }

    @Test func errorInFileNamesFileAndLine() {
        #expect {
            _ = try Self.list([FilterOption(.filter, ". rules")], files: ["rules": "- a\n# c\nqq b\n"])
        } throws: { error in
            (error as? SyncError)?.message == "Unknown filter rule: <rule from rules line 3>"
        }
    }

    /// rsync 3.5: a rule read from a file is never echoed (a merge file may be any file a peer names), and a
    /// file named inside another file is not even named; an argument's rule is shown as given.
    @Test(arguments: [
        (". rules", ["rules": "-z bad\n"], "invalid modifier in filter rule: <rule from rules line 1>"),
        (". rules", ["rules": ". inner\n", "inner": "TOPSECRET\n"], "Unknown filter rule: <rule from a file read earlier>"),
        ("-z bad", [:], "invalid modifier 'z' at position 1 in filter rule: -z bad"),
    ])
    func fileRulesAreNotEchoed(_ rule: String, _ files: [String: String], _ message: String) {
        #expect {
            _ = try Self.list([FilterOption(.filter, rule)], files: files)
        } throws: { error in
            (error as? SyncError)?.message == message
        }
    }

    /// A merge file that merges itself stops at rsync's depth limit with its error, not a crash.
    @Test func selfMergingFileHitsTheDepthLimit() {
        #expect {
            _ = try Self.list([FilterOption(.filter, ". loop")], files: ["loop": ". loop\n"])
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.status == .fileIO
                && error.message.hasPrefix("merge-file include depth limit (32) exceeded at <rule from")
        }
    }

    @Test func missingMergeFileIsFileIOError() {
        #expect {
            _ = try Self.list([FilterOption(.filter, ". nosuch")])
        } throws: { error in
            guard let error = error as? SyncError else { return false }
            return error.status == .fileIO
                && error.message == "[client] failed to open exclude file nosuch: No such file or directory (2)"
        }
        #expect {
            _ = try Self.list([FilterOption(.includeFrom, "inc")])
        } throws: { error in
            (error as? SyncError)?.message == "[client] failed to open include file inc: No such file or directory (2)"
        }
    }

    @Test func specifiedSideMergeRejectsSidedRule() {
        #expect {
            _ = try Self.list([FilterOption(.filter, "merge,s rules")], files: ["rules": "H foo\n"])
        } throws: { error in
            (error as? SyncError)?.message
                == "specified-side merge file contains specified-side filter: <rule from rules line 1>"
        }
    }

    @Test func excludeFromSkipsCommentsAndBlankLinesAndHonoursPrefixes() throws {
        let list = try Self.list([FilterOption(.excludeFrom, "ex")],
            files: ["ex": "; comment\n# comment\n\n*.o\r\n+ keep.o\n - lead\n!\n"])
        // "!" clears everything before it, so only what follows would remain; there is nothing after it.
        #expect(list.rules.isEmpty)
        let kept = try Self.list([FilterOption(.excludeFrom, "ex")], files: ["ex": "; c\n# c\n\n*.o\r\n+ keep.o\n - lead\n"])
        #expect(kept.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) }
            == ["- *.o", "+ keep.o", "-  - lead"])
        #expect(kept.rules.map { $0.source?.line } == [4, 5, 6])
    }

    @Test func fromZeroSplitsOnNUL() throws {
        let list = try Self.list([FilterOption(.includeFrom, "in")], files: ["in": "a\nb\0c\0"]) {
            $0.fromZero = true
        }
        #expect(list.rules.map { String(decoding: $0.pattern, as: UTF8.self) } == ["a\nb", "c"])
    }

    @Test func capitalFOnceTwiceThrice() throws {
        let one = try Self.list([FilterOption(.perDirectoryFilter, "")])
        #expect(one.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) } == [": /.rsync-filter"])
        let three = try Self.list(Array(repeating: FilterOption(.perDirectoryFilter, ""), count: 3))
        #expect(three.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) }
            == [": /.rsync-filter", "- .rsync-filter"])
    }

    @Test func cvsExcludeIsAppendedAfterUserRules() throws {
        let list = try Self.list([FilterOption(.cvsExclude, ""), FilterOption(.include, "core")])
        #expect(list.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) }
            == ["+ core", ":C .cvsignore", "-C "])
        #expect(!list.isExcluded(Array("core".utf8), isDirectory: false, side: .sender))
        #expect(list.isExcluded(Array("x.o".utf8), isDirectory: false, side: .sender))
    }

    @Test func cvsDefaultsEnvironmentAndHomeFile() throws {
        let list = try Self.list([FilterOption(.cvsExclude, "")]) {
            $0.cvsIgnoreEnvironment = Array("*.tmp  build/".utf8)
            $0.homeCVSIgnore = Array("*.swp\n".utf8)
        }
        func excluded(_ path: String, dir: Bool = false) -> Bool {
            list.isExcluded(Array(path.utf8), isDirectory: dir, side: .sender)
        }
        for name in ["RCS", "SCCS", "CVS", "CVS.adm", "RCSLOG", "cvslog.1", "tags", "TAGS", ".make.state",
            ".nse_depinfo", "x~", "#x", ".#x", ",x", "_$x", "x$", "a.old", "a.bak", "a.BAK", "a.orig", "a.rej",
            ".del-x", "a.a", "a.olb", "a.o", "a.obj", "a.so", "a.exe", "a.Z", "a.elc", "a.ln", "core", "a.tmp",
            "a.swp", "sub/a.o"]
        {
            #expect(excluded(name), "\(name)")
        }
        for dir in [".git", ".svn", ".hg", ".bzr", "build"] { #expect(excluded(dir, dir: true), "\(dir)") }
        #expect(!excluded(".git"))  // ".git/" only matches directories
        #expect(!excluded("a.c"))
        // Only the built-in list is perishable.
        #expect(list.check(Array("a.o".utf8), isDirectory: false, side: .receiver)?.isPerishable == true)
        #expect(list.check(Array("a.tmp".utf8), isDirectory: false, side: .receiver)?.isPerishable == false)
        #expect(!list.isExcluded(Array("a.o".utf8), isDirectory: false, side: .receiver, ignorePerishable: true))
    }

    @Test func deleteExcludedMakesPlainRulesSenderOnly() throws {
        let list = try Self.list([FilterOption(.exclude, "*.o"), FilterOption(.filter, "-r *.c")]) {
            $0.deleteExcluded = true
        }
        #expect(list.rules.map(\.rulePrefix) == ["-s ", "-r "])
    }

    @Test func mergeFileRulesInheritModifiers() throws {
        let list = try Self.list([FilterOption(.filter, "merge,+/p rules")], files: ["rules": "a\nb/\n"])
        #expect(list.rules.map { $0.rulePrefix + String(decoding: $0.displayPattern, as: UTF8.self) }
            == ["+/p a", "+/p b/"])
        let words = try Self.list([FilterOption(.filter, ".w- rules")], files: ["rules": "a b\tc\n"])
        #expect(words.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) }
            == ["- a", "- b", "- c"])
    }

    @Test func excludeSelfAddsRuleForMergeFileName() throws {
        let list = try Self.list([FilterOption(.filter, ":e sub/.filt")])
        #expect(list.rules.map { $0.rulePrefix + String(decoding: $0.pattern, as: UTF8.self) }
            == ["- .filt", ": sub/.filt"])
    }

    @Test func duplicateDirMergeIsDropped() throws {
        let list = try Self.list([FilterOption(.filter, ": .f"), FilterOption(.filter, ":n /x/.f")])
        #expect(list.rules.count == 1)
    }
}
