import SyncTestSupport
import Testing
@testable import SyncCore

/// Behaviour of FilterList beyond the rsync-recorded tables: debug text, per-directory stack, full-path mode.
@Suite("Filter matching", .tags(.small))
struct FilterMatcherTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// `--filter` rules, with rules files read from `files`.
    static func list(_ rules: [String], files: [String: String] = [:],
        configure: (inout FilterConfiguration) -> Void = { _ in }) throws -> FilterList
    {
        try FilterParserTests.list(rules.map { FilterOption(.filter, $0) }, files: files, configure: configure)
    }

    // Lines as rsync 3.5.0 prints them with --debug=FILTER.
    @Test(arguments: [
        ("a.o", false, FilterSide.sender, "[sender] hiding file a.o because of pattern *.o"),
        ("x/sub", true, .sender, "[sender] hiding directory x/sub because of pattern sub/"),
        ("keep.c", false, .sender, "[sender] showing file keep.c because of pattern keep.c"),
        ("x.bak", false, .receiver, "[generator] protecting file x.bak because of pattern *.bak"),
        ("y.tmp", false, .receiver, "[generator] risking file y.tmp because of pattern *.tmp"),
    ])
    func debugLines(_ path: String, _ isDirectory: Bool, _ side: FilterSide, _ expected: String) throws {
        let list = try Self.list(["- *.o", "- sub/", "+ keep.c", "P *.bak", "R *.tmp"])
        let match = try #require(list.check(Self.bytes(path), isDirectory: isDirectory, side: side))
        #expect(match.debugLine(path: Self.bytes(path), isDirectory: isDirectory, side: side) == expected)
    }

    @Test func protectRulesDoNotApplyToTheSender() throws {
        let list = try Self.list(["P *.bak"])
        #expect(list.check(Self.bytes("x.bak"), isDirectory: false, side: .sender) == nil)
    }

    @Test func debugLinesForFileAndCVSRules() throws {
        var list = try Self.list([": .rsync-filter", "-C"], files: [:])
        try list.enterDirectory([], load: FilterParserTests.files([".rsync-filter": "- *.c\n"]))
        let perDir = try #require(list.check(Self.bytes("b.c"), isDirectory: false, side: .sender))
        #expect(perDir.debugLine(path: Self.bytes("b.c"), isDirectory: false, side: .sender)
            == "[sender] hiding file b.c because of pattern <rule from a file read earlier> [per-dir .rsync-filter]")
        #expect(perDir.debugLine(path: Self.bytes("b.c"), isDirectory: false, side: .sender, redactFileRules: false)
            == "[sender] hiding file b.c because of pattern *.c [per-dir .rsync-filter]")
        #expect(perDir.rule.source == FilterSource(file: Self.bytes(".rsync-filter"), line: 1))
        let cvs = try #require(list.check(Self.bytes("a.o"), isDirectory: false, side: .sender))
        #expect(cvs.debugLine(path: Self.bytes("a.o"), isDirectory: false, side: .sender)
            == "[sender] hiding file a.o because of pattern *.o [global CVS]")
    }

    @Test func perDirectoryAnchoringInheritanceAndPop() throws {
        let files = [
            ".rsync-filter": "- /top.txt\n",
            "sub/.rsync-filter": "- /only-here\n- *.log\n",
            "sub/deep/.rsync-filter": "+ keep.log\n",
        ]
        var list = try Self.list([": .rsync-filter"])
        let load = FilterParserTests.files(files)
        func excluded(_ p: String, _ dir: Bool = false) -> Bool { list.isExcluded(Self.bytes(p), isDirectory: dir, side: .sender) }
        try list.enterDirectory([], load: load)
        #expect(excluded("top.txt"))
        try list.enterDirectory(Self.bytes("sub"), load: load)
        #expect(!excluded("sub/top.txt"))  // "/top.txt" is anchored at the root's directory
        #expect(excluded("sub/only-here"))
        #expect(excluded("sub/a.log"))
        try list.enterDirectory(Self.bytes("sub/deep"), load: load)
        #expect(excluded("sub/deep/a.log"))  // inherited
        #expect(!excluded("sub/deep/keep.log"))  // local rules come first
        #expect(!excluded("sub/deep/only-here"))
        list.leaveDirectory()
        #expect(excluded("sub/keep.log"))
        list.leaveDirectory()
        try list.enterDirectory(Self.bytes("other"), load: load)
        #expect(!excluded("other/a.log"))
        list.leaveDirectory()
        list.leaveDirectory()
        #expect(list.perDirectoryRules(named: Self.bytes(".rsync-filter")).isEmpty)
    }

    @Test func noInheritClearAndNestedDirMerge() throws {
        let files = [
            ".f": "- *.a\n: .g\n",
            ".g": "- *.g1\n",
            "s/.f": "!\n- *.b\n",
            "s/.g": "- *.g2\n",
        ]
        var list = try Self.list([": .f"])
        let load = FilterParserTests.files(files)
        func excluded(_ p: String) -> Bool { list.isExcluded(Self.bytes(p), isDirectory: false, side: .sender) }
        try list.enterDirectory([], load: load)
        #expect(excluded("x.a") && excluded("x.g1"))
        try list.enterDirectory(Self.bytes("s"), load: load)
        // "!" in s/.f clears what .f gave (including the nested ": .g" rule), so only "*.b" is left from .f.
        #expect(!excluded("s/x.a"))
        #expect(excluded("s/x.b"))
        #expect(!excluded("s/x.g1") && !excluded("s/x.g2"))
        list.leaveDirectory()
        #expect(excluded("x.a") && excluded("x.g1"))

        var noInherit = try Self.list([":n .f"])
        try noInherit.enterDirectory([], load: FilterParserTests.files([".f": "- *.a\n"]))
        #expect(noInherit.isExcluded(Self.bytes("x.a"), isDirectory: false, side: .sender))
        try noInherit.enterDirectory(Self.bytes("s"), load: FilterParserTests.files([:]))
        #expect(!noInherit.isExcluded(Self.bytes("s/x.a"), isDirectory: false, side: .sender))
    }

    @Test func mergeInsidePerDirectoryFileResolvesNames() throws {
        var requested: [String] = []
        let load: FilterFileLoader = { (path: [UInt8]) throws(SyncError) -> [UInt8]? in
            let name = String(decoding: path, as: UTF8.self)
            requested.append(name)
            switch name {
            case "d/.f": return Self.bytes(". plain\n. rel/other\n")
            case "plain": return Self.bytes("- p1\n")
            case "d/rel/other": return Self.bytes("- /o1\n")
            default: return nil
            }
        }
        var list = try Self.list([": .f"])
        try list.enterDirectory(Self.bytes("d"), load: load)
        #expect(requested == ["d/.f", "plain", "d/rel/other"])
        #expect(list.isExcluded(Self.bytes("d/p1"), isDirectory: false, side: .sender))
        // A merge file read from a per-directory file is not anchored to that directory (rsync quirk).
        #expect(list.isExcluded(Self.bytes("o1"), isDirectory: false, side: .sender))
        #expect(!list.isExcluded(Self.bytes("d/o1"), isDirectory: false, side: .sender))
    }

    @Test func perDirectoryParseErrorsNameTheFile() throws {
        var list = try Self.list([": .f"])
        #expect {
            try list.enterDirectory(Self.bytes("a/b"), load: FilterParserTests.files(["a/b/.f": "- ok\nbogus rule\n"]))
        } throws: { error in
            (error as? SyncError)?.message == "Unknown filter rule: <rule from a/b/.f line 2>"
        }
    }

    @Test func sidesAndPerishable() throws {
        let list = try Self.list(["-s *.s", "-r *.r", "H *.h", "P *.p", "-p *.q", "-x *.y"])
        func check(_ p: String, _ side: FilterSide, ignore: Bool = false) -> Bool {
            list.isExcluded(Self.bytes(p), isDirectory: false, side: side, ignorePerishable: ignore)
        }
        #expect(check("a.s", .sender) && !check("a.s", .receiver))
        #expect(!check("a.r", .sender) && check("a.r", .receiver))
        #expect(check("a.h", .sender) && !check("a.h", .receiver))
        #expect(!check("a.p", .sender) && check("a.p", .receiver))
        #expect(check("a.q", .receiver) && !check("a.q", .receiver, ignore: true))
        #expect(!check("a.y", .sender))  // xattr rules never match file names
    }

    @Test func negatedDirectoryRuleMatchesFiles() throws {
        let list = try Self.list(["-! */"])
        #expect(list.isExcluded(Self.bytes("a.c"), isDirectory: false, side: .sender))
        #expect(!list.isExcluded(Self.bytes("sub"), isDirectory: true, side: .sender))
    }

    @Test func absoluteModifierUsesRoot() throws {
        let list = try Self.list(["-/ /home/u/src/a.c", "-/ /b.c"]) { $0.absoluteRoot = Self.bytes("/home/u/src/") }
        #expect(list.isExcluded(Self.bytes("a.c"), isDirectory: false, side: .sender))
        #expect(!list.isExcluded(Self.bytes("b.c"), isDirectory: false, side: .sender))
        let atRoot = try Self.list(["-/ /b.c"])
        #expect(atRoot.isExcluded(Self.bytes("b.c"), isDirectory: false, side: .sender))
    }

    /// (rules, path, isDirectory, excluded in rsync mode, excluded in full-path mode)
    static let fullPath: [([String], String, Bool, Bool, Bool)] = [
        (["- *.o"], "a/b/c.o", false, true, true),
        (["- b/*.o"], "a/b/c.o", false, true, false),  // full-path: a slash pattern is matched from the root
        (["- a/b/*.o"], "a/b/c.o", false, true, true),
        (["- b/c.o"], "a/b/c.o", false, true, false),
        (["- a/**"], "x/a/b/c.o", false, true, false),
        (["- a/**"], "a/b/c.o", false, true, true),
        (["- **/c.o"], "a/b/c.o", false, true, true),
        (["- /a/b/c.o"], "a/b/c.o", false, true, true),
        (["- a/"], "a", true, true, true),
        (["- a/"], "a/b/c.o", false, false, false),  // no pruning implied: the file's own path decides
        (["+ *.c", "- *"], "dir/x.c", false, false, false),
        (["+ dir/", "+ dir/x.c", "- *"], "dir/x.c", false, false, false),
    ]

    @Test(arguments: fullPath)
    func fullPathMode(_ row: ([String], String, Bool, Bool, Bool)) throws {
        let normal = try Self.list(row.0)
        #expect(normal.isExcluded(Self.bytes(row.1), isDirectory: row.2, side: .sender) == row.3)
        let full = try Self.list(row.0) { $0.matchFullPath = true }
        #expect(full.isExcluded(Self.bytes(row.1), isDirectory: row.2, side: .sender) == row.4)
    }

    @Test func slicesAndLeadingSlash() throws {
        let list = try Self.list(["- *.o"])
        let buffer = Self.bytes("xx/a.o|yy")
        #expect(list.check(buffer[0..<6], isDirectory: false, side: .sender) != nil)
        #expect(list.check(Self.bytes("/a.o"), isDirectory: false, side: .sender) != nil)
        #expect(list.check([], isDirectory: false, side: .sender) == nil)
    }
}
