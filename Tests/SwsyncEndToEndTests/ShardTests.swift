import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--shard=K/N` (swsync's own, issue 14): shards 1..N together do what one unsharded run does. Their
/// trees are the unsharded run's (names, types, contents, modes, mtimes, link targets, hard links inside a
/// top-level directory), each extraneous entry is deleted by exactly one shard, and their previews list
/// the unsharded preview's lines. rsync has no such option, so the unsharded swsync run is the reference.
@Suite(.tags(.large))
struct ShardTests {
    static let count = 3

    enum Transport: String, Sendable, CaseIterable {
        case local, push, pull
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var transport: Transport
        var concurrent: Bool
        var options: [String] = []
        var testDescription: String {
            "\(transport) \(concurrent ? "concurrent" : "sequential") \(options.joined(separator: " "))"
        }
    }

    static let cases: [Case] = Transport.allCases.flatMap { transport in
        [Case(transport: transport, concurrent: false), Case(transport: transport, concurrent: true)]
    } + [
        Case(transport: .local, concurrent: true, options: ["--delete-after"]),
        Case(transport: .local, concurrent: false, options: ["--delete-excluded", "--exclude=*.skip"]),
        Case(transport: .push, concurrent: false, options: ["--delete-before"]),
    ]

    /// Twelve top-level directories (files, a subdirectory, a symlink, a hard-link pair), top-level files
    /// and a symlink; the destination has stale and extraneous entries at the top and below it.
    static func fixture(_ root: String) throws {
        let src = root + "/src", old = root + "/old"
        for d in 0..<12 {
            let dir = src + "/dir\(d)"
            try makeDirectories(dir + "/sub")
            for f in 0..<3 { try writeFile(dir + "/f\(f)", Fixture.content("\(d)/\(f)", size: 100 + d * 10 + f)) }
            try writeFile(dir + "/sub/deep", Fixture.content("\(d)/deep", size: 50), mode: 0o600)
            try writeFile(dir + "/x.skip", Fixture.content("\(d)/skip", size: 5))
            try makeSymlink(dir + "/link", to: "f0")
            try makeHardLink(dir + "/sub/f1-again", to: dir + "/f1")
        }
        for f in 0..<6 { try writeFile(src + "/top\(f)", Fixture.content("top\(f)", size: 20 + f), mode: 0o640) }
        try makeSymlink(src + "/toplink", to: "dir0/f0")
        try copyTree(src, to: old)
        // Stale and extraneous destination entries: at the top (files, directories with contents) and inside.
        try writeFile(old + "/top0", Fixture.content("top0", size: 20, variant: "stale"))
        for e in 0..<8 { try writeFile(old + "/extra\(e)", Fixture.content("extra\(e)", size: 3)) }
        for e in 0..<4 {
            try makeDirectories(old + "/gone\(e)/inner")
            try writeFile(old + "/gone\(e)/inner/file", Fixture.content("gone\(e)", size: 3))
        }
        for d in [1, 5, 9] { try writeFile(old + "/dir\(d)/extra", Fixture.content("inner\(d)", size: 3)) }
        try writeFile(old + "/dir3/x.skip.old.skip", [1])  // excluded: deleted only with --delete-excluded
        for d in [0, 4, 7, 11] { removeTree(old + "/dir\(d)") }  // sent whole
        try writeFile(root + "/rsh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
        try Fixture.freezeTimes(src)
        try Fixture.freezeTimes(old)
    }

    /// The operands of a run from `root`'s `src/` into `destination/`, by transport.
    static func operands(_ transport: Transport, root: String, destination: String) -> [String] {
        let remote = ["-e", root + "/rsh", "--rsync-path=" + Tools.swsync]
        switch transport {
        case .local: return ["src/", destination + "/"]
        case .push: return remote + ["src/", "peer:" + root + "/" + destination + "/"]
        case .pull: return remote + ["peer:" + root + "/src/", destination + "/"]
        }
    }

    /// Starts every run at once, then waits for all; each gives its exit status and stdout lines.
    static func runAll(_ runs: [[String]], in root: String, concurrent: Bool) throws -> [(Int32, [String], String)] {
        func finish(_ process: Subprocess) -> (Int32, [String], String) {
            let output = process.wait()
            let status: Int32 = if case .exited(let code) = output.termination { code } else { -1 }
            return (status, output.stdoutText.split(separator: "\n").map(String.init), output.stderrText)
        }
        var results: [(Int32, [String], String)] = []
        var started: [Subprocess] = []
        for (i, arguments) in runs.enumerated() {
            let process = try Subprocess(executable: Tools.swsync, arguments: arguments, directory: root,
                outputPrefix: root + "/out\(i)")
            if concurrent { started.append(process) } else { results.append(finish(process)) }
        }
        return results + started.map(finish)
    }

    static func deletions(_ lines: [String]) -> [String] { lines.filter { $0.hasPrefix("deleting ") } }

    @Test(arguments: cases)
    func shardsTogetherAreOneRun(_ testCase: Case) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }  // rsync has no --shard
        let scratch = try TemporaryDirectory("shard")
        let root = scratch.path
        try Self.fixture(root)
        try copyTree(root + "/old", to: root + "/whole")
        try copyTree(root + "/old", to: root + "/sharded")
        let base = ["-aHv", "--delete"] + testCase.options
        let whole = try Self.runAll([base + Self.operands(testCase.transport, root: root, destination: "whole")],
            in: root, concurrent: false)[0]
        #expect(whole.0 == 0, Comment(rawValue: whole.2))
        let shards = try Self.runAll((1...Self.count).map {
            base + ["--shard=\($0)/\(Self.count)"] + Self.operands(testCase.transport, root: root, destination: "sharded")
        }, in: root, concurrent: testCase.concurrent)
        for (k, shard) in shards.enumerated() { #expect(shard.0 == 0, "shard \(k + 1): \(shard.2)") }

        let differences = TreeComparison.differences(try TreeSnapshot(root + "/whole"),
            try TreeSnapshot(root + "/sharded"), labels: ("unsharded", "shards"))
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
        // Each extraneous entry is deleted once, by one shard; nothing else is.
        let expected = Self.deletions(whole.1)
        #expect(expected.count >= 8 + 4 * 3 + 3, "the fixture deletes at the top and below it: \(expected)")
        #expect(shards.flatMap { Self.deletions($0.1) }.sorted() == expected.sorted())
        // Every shard had something of its own to send and to delete (the fixture's names spread over all three).
        for (k, shard) in shards.enumerated() {
            #expect(shard.1.contains { $0.hasPrefix("dir") && !$0.contains(" ") } && !Self.deletions(shard.1).isEmpty,
                "shard \(k + 1): \(shard.1)")
        }
    }

    /// `-n -i`: the shards' previews together are the unsharded preview. The root's own line ("./") is each
    /// shard's (every shard sees to the root), so it is compared per shard; every other line comes once.
    @Test(arguments: [Transport.local, .pull])
    func previewsTogetherAreOnePreview(_ transport: Transport) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }
        let scratch = try TemporaryDirectory("shard-preview")
        let root = scratch.path
        try Self.fixture(root)
        try setModificationTime(root + "/old", seconds: 1_000_000_000)  // so the root has a line
        let before = try TreeSnapshot(root + "/old")
        let base = ["-ai", "-n", "--delete"] + Self.operands(transport, root: root, destination: "old")
        let whole = try Self.runAll([base], in: root, concurrent: false)[0]
        let shards = try Self.runAll((1...Self.count).map { base + ["--shard=\($0)/\(Self.count)"] }, in: root,
            concurrent: true)
        let isRoot: (String) -> Bool = { $0.hasSuffix(" ./") }
        #expect(whole.0 == 0 && whole.1.contains(where: isRoot), Comment(rawValue: whole.2))
        for shard in shards {
            #expect(shard.0 == 0, Comment(rawValue: shard.2))
            #expect(shard.1.filter(isRoot) == whole.1.filter(isRoot))
        }
        #expect(shards.flatMap { $0.1.filter { !isRoot($0) } }.sorted() == whole.1.filter { !isRoot($0) }.sorted())
        #expect(TreeComparison.differences(before, try TreeSnapshot(root + "/old"), labels: ("before", "after")) == [])
    }

    /// `--files-from`: a listed name's first component decides its shard, so the shards' union is the run's.
    @Test func filesFromNamesGoByTheirFirstComponent() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }
        let scratch = try TemporaryDirectory("shard-files-from")
        let root = scratch.path
        try Self.fixture(root)
        let names = (0..<12).flatMap { ["dir\($0)/f2", "dir\($0)/sub/deep"] } + ["top1", "top4", "toplink"]
        try writeFile(root + "/list", Array(names.joined(separator: "\n").utf8))
        let base = ["-a", "--files-from=list"]
        _ = try Self.runAll([base + ["src/", "whole/"]], in: root, concurrent: false)
        let shards = try Self.runAll((1...Self.count).map { base + ["--shard=\($0)/\(Self.count)", "src/", "sharded/"] },
            in: root, concurrent: false)
        for shard in shards { #expect(shard.0 == 0, Comment(rawValue: shard.2)) }
        let differences = TreeComparison.differences(try TreeSnapshot(root + "/whole"),
            try TreeSnapshot(root + "/sharded"), labels: ("unsharded", "shards"))
        #expect(differences == [], "\(differences.joined(separator: "\n"))")
    }

    /// A bad value is a syntax error (exit 1) with a message naming it, before anything is written.
    @Test(arguments: ["0/3", "4/3", "1/0", "0/0", "abc", "3", "1/2/3", "/3", "1/", "-1/3", "+1/3", " 1/3", "",
        "99999999999999999999/3"])
    func refusesBadValues(_ value: String) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }
        let scratch = try TemporaryDirectory("shard-bad")
        try makeDirectories(scratch.path + "/src")
        let output = try Subprocess.run(Tools.swsync, ["-a", "--shard=" + value, "src/", "dst/"], in: scratch.path,
            outputPrefix: scratch.path + "/out")
        #expect(output.termination == .exited(1))
        #expect(output.stderrText.hasPrefix("swsync: --shard=\(value): "), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("syntax or usage error (code 1)"))
        #expect(!exists(scratch.path + "/dst"))
    }

    /// Names converted between charsets would have one owner on each side, and a batch keeps no shard for
    /// its replay's deletions: both combinations are refused.
    @Test(arguments: [("--iconv=UTF-8,LATIN1", "--iconv"), ("--write-batch=b", "--write-batch"),
        ("--only-write-batch=b", "--write-batch"), ("--read-batch=b", "--read-batch")])
    func refusesCombination(_ option: String, _ named: String) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }
        let scratch = try TemporaryDirectory("shard-combination")
        try makeDirectories(scratch.path + "/src")
        let output = try Subprocess.run(Tools.swsync, ["-a", "--shard=1/2", option, "src/", "dst/"],
            in: scratch.path, outputPrefix: scratch.path + "/out")
        #expect(output.termination == .exited(1))
        #expect(output.stderrText.contains("--shard cannot be used with") && output.stderrText.contains(named),
            Comment(rawValue: output.stderrText))
        #expect(!exists(scratch.path + "/dst") && !exists(scratch.path + "/b"))
    }
}
