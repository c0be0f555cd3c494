import Foundation
import SyncTestSupport
import Testing

import Glibc

/// `--jobs`: the parallel lookups and writers change nothing but speed. On a generated tree of 20,000
/// entries (large and small directories, hard links within and across directories, symlinks, a stale
/// destination with changed, extraneous and type-swapped entries), `--jobs=1` and `--jobs=8` give the
/// tree rsync 3.5.0 gives, the same itemize and deletion lines (as rsync's, order compared per stream;
/// between the two swsync runs, identical) and the same exit code.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable, "swsync or rsync missing"), .serialized)
struct ParallelJobsTests {
    /// 150 directories of 100 files, two of 2,000 and one of 1,000 (20,000 files), with hard-link groups
    /// and symlinks; every time fixed, years ago.
    static func buildSource(_ src: String) throws {
        try makeDirectory(src)
        var index = 0
        func addFiles(_ directory: String, count: Int) throws {
            try makeDirectories(src + "/" + directory)
            for _ in 0..<count {
                index += 1
                let path = "\(directory)/file\(index)"
                try writeFile(src + "/" + path, Fixture.content(path, size: index % 300), mode: index % 7 == 0 ? 0o755 : 0o644)
                let stamp = Fixture.stamp(index)
                try setModificationTime(src + "/" + path, seconds: stamp.seconds, nanoseconds: stamp.nanoseconds)
            }
        }
        for d in 0..<150 { try addFiles("tree\(d / 10)/dir\(d)", count: 100) }
        try addFiles("big/a", count: 2_000)
        try addFiles("big/b", count: 2_000)
        try addFiles("flat", count: 1_000)
        // Hard links: pairs inside one directory, and a group spanning three directories.
        for n in stride(from: 1, through: 900, by: 9) {
            try makeHardLink(src + "/flat/link\(n)", to: src + "/flat/file\(19_000 + n)")
        }
        try makeHardLink(src + "/big/a/shared", to: src + "/tree0/dir1/file150")
        try makeHardLink(src + "/big/b/shared", to: src + "/tree0/dir1/file150")
        for n in 0..<200 { try makeSymlink(src + "/big/b/sym\(n)", to: "file\(17_001 + n)") }
        try makeSymlink(src + "/tree3/up", to: "../flat")
        try Fixture.freezeTimes(src)
    }

    /// Where `buildSource` put file number `n`.
    static func fileName(_ n: Int) -> String {
        switch n {
        case ...15_000: return "tree\((n - 1) / 1_000)/dir\((n - 1) / 100)/file\(n)"
        case ...17_000: return "big/a/file\(n)"
        case ...19_000: return "big/b/file\(n)"
        default: return "flat/file\(n)"
        }
    }

    /// The destination as an older run left it: some files changed (content and time), some gone,
    /// extraneous files and a directory where the source has a file, a file where it has a directory.
    static func makeStaleDestination(_ dst: String, from src: String) throws {
        try copyTree(src, to: dst)
        for n in stride(from: 3, to: 20_000, by: 97) {
            try writeFile(dst + "/" + fileName(n), Array("stale \(n)\n".utf8))
        }
        for n in stride(from: 5, to: 20_000, by: 101) { unlink(dst + "/" + fileName(n)) }
        for d in stride(from: 0, to: 150, by: 7) {
            try writeFile(dst + "/tree\(d / 10)/dir\(d)/extraneous\(d)", Array("extra\n".utf8))
        }
        try makeDirectories(dst + "/big/a/extra-dir/deeper")
        try writeFile(dst + "/big/a/extra-dir/deeper/x", Array("x\n".utf8))
        unlink(dst + "/flat/file19010")
        try makeDirectories(dst + "/flat/file19010/inside")
        removeTree(dst + "/tree14/dir145")
        try writeFile(dst + "/tree14/dir145", Array("a file where a directory goes\n".utf8))
        try Fixture.freezeTimes(dst)
    }

    @Test(arguments: [["-aHi", "--delete"], ["-ai", "--delete-after"], ["-ain", "--delete"]])
    func parallelAndSerialRunsMatchRsync(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("jobs")
        let src = scratch.path + "/src"
        try Self.buildSource(src)
        var outputs: [String: ProcessOutput] = [:]
        var trees: [String: TreeSnapshot] = [:]
        for (label, tool, extra) in [("rsync", Tools.rsync!, [String]()), ("jobs1", Tools.swsync, ["--jobs=1"]),
            ("jobs8", Tools.swsync, ["--jobs=8"])]
        {
            let dst = scratch.path + "/" + label
            try Self.makeStaleDestination(dst, from: src)
            outputs[label] = try Subprocess.run(tool, extra + options + ["src/", label + "/"], in: scratch.path,
                outputPrefix: scratch.path + "/out-" + label, timeout: 300)
            trees[label] = try TreeSnapshot(dst)
        }
        let rsync = outputs["rsync"]!
        #expect(rsync.termination == .exited(0), Comment(rawValue: rsync.stderrText))
        let rsyncLines = rsync.stdoutText.split(separator: "\n").map(String.init)
        #expect(rsyncLines.count > 500, "the fixture should give many lines")
        for label in ["jobs1", "jobs8"] {
            let output = outputs[label]!
            #expect(output.termination == rsync.termination, "\(label): \(output.stderrText)")
            let differences = TreeComparison.differences(trees["rsync"]!, trees[label]!, labels: ("rsync", label))
            #expect(differences.isEmpty, Comment(rawValue: "\(label):\n" + differences.prefix(20).joined(separator: "\n")))
            let lines = output.stdoutText.split(separator: "\n").map(String.init)
            if let problem = OutputComparison.problem(rsync: rsyncLines, swsync: lines) {
                Issue.record(Comment(rawValue: "\(label): \(problem)\n" + DifferentialRunner.lineDiff(rsyncLines, lines)))
            }
        }
        #expect(outputs["jobs1"]!.stdoutText == outputs["jobs8"]!.stdoutText, "--jobs=8 printed other lines than --jobs=1")
    }

    /// `kill -9` in the middle of a `--jobs=8 --partial` copy: every destination file under its own name is
    /// complete (temp files are renamed into place only when whole); the next run finishes the copy.
    @Test func killedRunLeavesNoHalfWrittenFile() throws {
        let scratch = try TemporaryDirectory("jobs-kill")
        let src = scratch.path + "/src", dst = scratch.path + "/dst"
        try makeDirectories(src + "/d")
        for n in 0..<40 {
            try writeFile(src + "/d/big\(n)", Fixture.content("big\(n)", size: 3 << 20))
        }
        let run = try Subprocess(executable: Tools.swsync, arguments: ["--jobs=8", "--partial", "-a", "src/", "dst/"],
            directory: scratch.path, outputPrefix: scratch.path + "/out")
        // Wait until some files are in place, then kill it mid-copy.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, ((try? directoryEntries(dst + "/d")) ?? []).filter({ !$0.hasPrefix(".") }).count < 3 {
            usleep(2_000)
        }
        kill(run.pid, SIGKILL)
        _ = run.wait()
        let placed = ((try? directoryEntries(dst + "/d")) ?? []).filter { !$0.hasPrefix(".") }
        #expect(!placed.isEmpty, "nothing was in place when the run was killed")
        for name in placed {
            #expect(try readAllBytes(dst + "/d/" + name) == readAllBytes(src + "/d/" + name), "\(name) is half-written")
        }
        let again = try Subprocess.run(Tools.swsync, ["--jobs=8", "--partial", "-a", "src/", "dst/"], in: scratch.path,
            outputPrefix: scratch.path + "/again", timeout: 300)
        #expect(again.termination == .exited(0), Comment(rawValue: again.stderrText))
        // The killed run's temp files stay, as rsync's do; no final name is missing or different.
        let differences = TreeComparison.differences(try TreeSnapshot(src), try TreeSnapshot(dst), labels: ("src", "dst"),
            ignoringMtimeOf: ["."]).filter { !$0.hasPrefix("d/.big") }
        #expect(differences.isEmpty, Comment(rawValue: differences.prefix(20).joined(separator: "\n")))
    }

    /// An error in a parallel part (an unreadable file among 200 in a directory whose entries are looked up
    /// and written on several threads, an unreadable directory) gives rsync's exit code and messages, as
    /// `nobody` (root reads everything): 23, the rest copied, no deletion after the error.
    @Test(.enabled(if: geteuid() == 0, "needs root to switch to an unprivileged user"),
        .enabled(if: Tools.isExecutable("/usr/bin/setpriv"), "setpriv (util-linux) not installed"),
        arguments: ["--jobs=1", "--jobs=8"])
    func errorsInParallelPartsGiveRsyncsExitCode(_ jobs: String) throws {
        let scratch = try TemporaryDirectory("jobs-errors")
        func prepare(_ root: String) throws {
            try makeDirectories(root + "/src/many")
            try makeDirectories(root + "/src/locked")
            for n in 0..<200 { try writeFile(root + "/src/many/f\(n)", Array("file \(n)\n".utf8)) }
            try writeFile(root + "/src/locked/g", Array("hidden\n".utf8))
            try makeDirectories(root + "/dst")
            try writeFile(root + "/dst/extraneous", Array("x\n".utf8))
            try Unprivileged.handOver(root)
            try changeMode(root + "/src/many/f77", 0o000)
            try changeMode(root + "/src/locked", 0o000)
        }
        let (rsync, swsync) = try Unprivileged.runBoth(in: scratch.path, ["-a", "--delete-after", "src/", "dst/"],
            swsyncOptions: [jobs], prepare: prepare, afterRun: { root in try changeMode(root + "/src/locked", 0o755) })
        #expect(rsync.output.termination == .exited(23), Comment(rawValue: rsync.output.stderrText))
        #expect(swsync.output.termination == rsync.output.termination, Comment(rawValue: swsync.output.stderrText))
        for result in [rsync, swsync] {
            #expect(result.output.stderrText.contains("many/f77"), "\(result.label): \(result.output.stderrText)")
            #expect(result.tree["extraneous"] != nil, "\(result.label) deleted after an I/O error")
        }
        let differences = TreeComparison.differences(rsync.tree, swsync.tree, labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
    }

    /// Bad `--jobs` values are refused as rsync refuses a bad number: a message and exit 1.
    @Test(arguments: ["0", "65", "x", "-2", ""])
    func badJobsValuesAreRefused(_ value: String) throws {
        let scratch = try TemporaryDirectory("jobs-bad")
        try makeDirectories(scratch.path + "/src")
        let output = try Subprocess.run(Tools.swsync, ["--jobs=\(value)", "-a", "src/", "dst/"], in: scratch.path,
            outputPrefix: scratch.path + "/out")
        #expect(output.termination == .exited(1), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("--jobs=\(value)"), Comment(rawValue: output.stderrText))
        #expect(!exists(scratch.path + "/dst"), "a refused command line made the destination")
    }
}
