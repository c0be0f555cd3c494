import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Issue 11, items 3 and 4: rsync daemon addresses and options are refused before anything starts (there is no
/// daemon mode yet), local names with a colon stay local as in rsync, and a `--backup-dir` that is the
/// destination itself, with no suffix, is refused instead of losing every backup.
@Suite(.tags(.large), .enabled(if: !Tools.binaryUnderTestIsRsync, "swsync's own refusals"))
struct DaemonSyntaxAndBackupDirTests {
    /// A run directory with `src/file.txt`, a destination `dst/file.txt` holding the old data (older, so a run
    /// replaces it), and `rsh`, a remote shell that leaves `rsh-started` behind if anything ever starts it.
    static func makeRun(_ run: String) throws {
        try makeDirectories(run + "/src")
        try makeDirectory(run + "/dst")
        try writeFile(run + "/src/file.txt", Array("new data\n".utf8))
        try writeFile(run + "/dst/file.txt", Array("old data, kept by the backup\n".utf8))
        try setModificationTime(run + "/src/file.txt", seconds: 1_600_000_000)
        try setModificationTime(run + "/dst/file.txt", seconds: 1_500_000_000)
        try writeFile(run + "/rsh", Array("#!/bin/sh\ntouch \"$(dirname \"$0\")/rsh-started\"\nexit 1\n".utf8),
            mode: 0o755)
        for path in ["/rsh", "/src", "/dst", ""] { try setModificationTime(run + path, seconds: 1_500_000_000) }
    }

    /// `@RUN@` in an argument stands for the run directory.
    static func arguments(_ arguments: [String], run: String) -> [String] {
        arguments.map { $0.replacingOccurrences(of: "@RUN@", with: run) }
    }

    static func stderrLines(_ output: ProcessOutput) -> [String] {
        output.stderrText.split(separator: "\n").map(String.init)
    }

    /// What rsync and then swsync did with `given` (`@RUN@` replaced), each in a fresh run directory made by
    /// `makeRun` and `prepare`; with `untouched`, each run must leave its directory as it was.
    struct BothRuns {
        var outputs: [ProcessOutput] = []
        var trees: [TreeSnapshot] = []
        var context: Comment {
            Comment(rawValue: "rsync: \(outputs[0].stderrText)\nswsync: \(outputs[1].stderrText)")
        }
        var stderr: (rsync: [String], swsync: [String]) {
            (DaemonSyntaxAndBackupDirTests.stderrLines(outputs[0]), DaemonSyntaxAndBackupDirTests.stderrLines(outputs[1]))
        }
    }

    static func runBoth(_ given: [String], label: String, untouched: Bool,
        prepare: (String) throws -> Void = { _ in }) throws -> BothRuns
    {
        let rsync = try #require(Tools.rsync, "reference rsync not found")
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let directory = try TemporaryDirectory(label)
        var runs = BothRuns()
        for (tool, executable) in [("rsync", rsync), ("swsync", Tools.swsync)] {
            let run = directory.path + "/" + tool
            try makeRun(run)
            try prepare(run)
            let before = try TreeSnapshot(run)
            runs.outputs.append(try Subprocess.run(executable, arguments(given, run: run), in: run,
                outputPrefix: directory.path + "/" + tool, timeout: 20))
            runs.trees.append(try TreeSnapshot(run))
            if untouched {
                let differences = TreeComparison.differences(before, runs.trees.last!, labels: ("before", "after"))
                #expect(differences.isEmpty, Comment(rawValue: "\(tool) touched:\n" + TreeComparison.report(differences)))
            }
        }
        return runs
    }

    // MARK: Item 3: daemon syntax

    static let daemonHost = "nonexistent.invalid"

    /// Every way to name a daemon, and every daemon option: exit 4 at once, one line and the closing line.
    static let daemonUses: [[String]] = [
        ["-a", "src/", "\(daemonHost)::mod/dst"],
        ["-a", "src/", "user@\(daemonHost)::mod/dst/"],
        ["-a", "\(daemonHost)::mod/src/", "dst/"],
        ["-a", "user@\(daemonHost)::mod/src/", "dst/new/"],
        ["-a", "\(daemonHost)::mod/a", "::mod/b", "dst/"],
        ["-a", "rsync://\(daemonHost)/mod/src/", "dst/"],
        ["-a", "rsync://user@\(daemonHost):8873/mod/src/", "dst/"],
        ["-a", "src/", "rsync://\(daemonHost)/mod/dst/"],
        ["-a", "src/", "RSYNC://\(daemonHost):8873/mod/"],
        ["-a", "src/", "rsync://\(daemonHost):abc/mod/"],  // rsync would take "rsync" for an ssh host here
        ["--list-only", "rsync://\(daemonHost)/mod/"],
        ["\(daemonHost)::"],
        ["-a", "--password-file=pw", "src/", "\(daemonHost)::mod/dst"],
        ["--daemon"],
        ["--daemon", "--no-detach", "--config=rsyncd.conf", "--port=8873"],
        ["--config=rsyncd.conf", "-a", "src/", "dst/"],
        ["--dparam=pidfile=x", "-a", "src/", "dst/"],
        ["--detach", "-a", "src/", "dst/"],
        ["-a", "--port=8873", "src/", "dst/"],
        ["-a", "--address=127.0.0.1", "src/", "dst/"],
        ["-a", "--sockopts=SO_KEEPALIVE", "src/", "dst/"],
        ["-a", "--early-input=src/file.txt", "src/", "dst/"],
        ["-a", "--no-motd", "src/", "dst/"],
    ]

    @Test(arguments: daemonUses)
    func daemonUseIsRefusedBeforeAnything(_ given: [String]) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let directory = try TemporaryDirectory("daemon-syntax")
        let run = directory.path + "/run"
        try Self.makeRun(run)
        let before = try TreeSnapshot(run)
        for withShell in [true, false] {
            // With -e, a started remote shell would leave its mark; without, libssh would have to look the
            // host up first. Neither may happen.
            let arguments = (withShell ? ["-e", run + "/rsh"] : []) + given
            let started = Date()
            let output = try Subprocess.run(Tools.swsync, arguments, in: run, outputPrefix: directory.path + "/out",
                timeout: 20)
            let elapsed = Date().timeIntervalSince(started)
            let lines = Self.stderrLines(output)
            let context = Comment(rawValue: "\(arguments.joined(separator: " ")): \(output.stderrText)")
            #expect(output.termination == .exited(4), context)
            #expect(lines.count == 2, context)
            #expect(lines.first?.hasPrefix("swsync: ") == true && lines.first?.contains("not supported yet") == true,
                context)
            #expect(lines.last?.hasPrefix("swsync error: requested action not supported (code 4)") == true, context)
            #expect(output.stdout.isEmpty, context)
            #expect(elapsed < 5, Comment(rawValue: "took \(elapsed)s: \(arguments)"))
        }
        let differences = TreeComparison.differences(before, try TreeSnapshot(run), labels: ("before", "after"))
        #expect(differences.isEmpty, Comment(rawValue: "touched:\n" + TreeComparison.report(differences)))
    }

    /// Mixes rsync refuses with exit 1 before connecting, with its own lines: the same from swsync.
    static let refusedMixes: [[String]] = [
        ["-a", "src/", "\(daemonHost)::mod", "dst/"],
        ["-a", "\(daemonHost)::mod/a", "src/", "dst/"],
        ["-a", "\(daemonHost)::a", "other.invalid::b", "dst/"],
        ["-a", "\(daemonHost)::a", ":b", "dst/"],
        ["-a", "\(daemonHost):a", "::b", "dst/"],
        ["-a", "\(daemonHost)::a", "other.invalid::b"],
        ["-a", "src/", "\(daemonHost):a", "dst/"],
        ["-a", "--password-file=pw", "src/", "dst/"],
    ]

    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
        arguments: refusedMixes)
    func refusedMixesMatchRsync(_ given: [String]) throws {
        let runs = try Self.runBoth(["-e", "@RUN@/rsh"] + given, label: "daemon-mix", untouched: true)
        #expect(runs.outputs[0].termination == .exited(1), runs.context)
        #expect(runs.outputs[1].termination == runs.outputs[0].termination, runs.context)
        // rsync's own lines, then its closing line (which names rsync's source file; ours does not).
        #expect(runs.stderr.swsync.dropLast() == runs.stderr.rsync.dropLast(), runs.context)
    }

    /// Names with a colon that rsync takes as local: both tools make the same tree and exit alike.
    static let localColonNames: [[String]] = [
        ["-a", "src/", "./a:b"],
        ["-a", "src/", "./a:b/"],
        ["-a", "src/", "@RUN@/a:b"],
        ["-a", "src/", "dst/x:y"],
        ["-a", "src/", "missing/a:b"],
        ["-a", "src/", "x[a]:p"],
        ["-a", "src/", "[a]b:x"],
        ["-a", "src/", "a@b"],
        ["-a", "./src/c:d", "dst/"],
        ["-a", "src/c:d", "./e:f"],
        ["-a", "-R", "src/c:d", "dst/"],
    ]

    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
        arguments: localColonNames)
    func localNamesWithAColonStayLocal(_ given: [String]) throws {
        let runs = try Self.runBoth(["-e", "@RUN@/rsh"] + given, label: "local-colon", untouched: false) { run in
            try writeFile(run + "/src/c:d", Array("colon\n".utf8))
            try setModificationTime(run + "/src/c:d", seconds: 1_600_000_000)
            try setModificationTime(run + "/src", seconds: 1_500_000_000)
        }
        #expect(runs.outputs[1].termination == runs.outputs[0].termination, runs.context)
        #expect(runs.trees[1]["rsh-started"] == nil, "swsync started the remote shell")
        let differences = TreeComparison.differences(runs.trees[0], runs.trees[1], labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: "trees differ:\n" + TreeComparison.report(differences)))
    }

    // MARK: Item 4: --backup-dir that is the destination

    static let refusal = "--suffix cannot be empty when --backup-dir is the same as the dest dir"

    /// The spellings rsync itself refuses: both tools exit 1 with the same line, and nothing changes.
    static let spellingsRsyncRefuses: [[String]] = [
        ["-a", "-b", "--backup-dir=.", "src/", "dst/"],
        ["-a", "--backup-dir=.", "src/", "dst/"],
        ["-a", "-b", "--backup-dir=.", "--suffix=", "src/", "dst/"],
        ["-a", "--backup-dir=./", "src/", "dst/"],
        ["-a", "--backup-dir=./.", "src/", "dst"],
        ["-a", "--backup-dir=", "src/", "dst/"],
        ["-a", "--backup-dir=.", "src/file.txt", "dst/file.txt"],
        ["-a", "--backup-dir=.", "src/", "nonexistent.invalid:dst/"],
    ]

    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
        arguments: spellingsRsyncRefuses)
    func backupDirSpelledAsTheDestinationIsRefusedLikeRsync(_ given: [String]) throws {
        let runs = try Self.runBoth(["-e", "@RUN@/rsh"] + given, label: "backup-dir-dot", untouched: true)
        #expect(runs.outputs[0].termination == .exited(1), runs.context)
        #expect(runs.outputs[1].termination == .exited(1), runs.context)
        #expect(runs.stderr.rsync.first == "rsync: " + Self.refusal, runs.context)
        #expect(runs.stderr.swsync.first == "swsync: " + Self.refusal, runs.context)
        #expect(runs.stderr.swsync.last?.hasPrefix("swsync error: syntax or usage error (code 1)") == true, runs.context)
    }

    /// Other names for the destination, which rsync 3.5.0 does not see through (it moves each file onto itself,
    /// says "file has vanished" and exits 0, the old data gone): swsync refuses them too.
    static let otherSpellings: [[String]] = [
        ["-a", "--backup-dir=.//", "src/", "dst/"],
        ["-a", "--backup-dir=@RUN@/dst", "src/", "dst/"],
        ["-a", "--backup-dir=@RUN@/dst/", "src/", "dst"],
        ["-a", "--backup-dir=@RUN@/./dst/../dst", "src/", "dst/"],
        ["-a", "--backup-dir=../dst", "src/", "dst/"],
        ["-a", "--backup-dir=sub/..", "src/", "dst/"],
        ["-a", "--backup-dir=self", "src/", "dst/"],
        ["-a", "--backup-dir=@RUN@/dst-link", "src/", "dst/"],
        ["-a", "--backup-dir=@RUN@/dst", "src/", "dst-link/"],
        ["-a", "--backup-dir=@RUN@/dst", "src/file.txt", "dst/file.txt"],
        ["-a", "--backup-dir=@RUN@/dst", "src/file.txt", "dst/"],
        ["-a", "--backup-dir=@RUN@/dst", "-e", "@RUN@/local-shell", "localhost:@RUN@/src/", "dst/"],
    ]

    @Test(arguments: otherSpellings)
    func anyNameForTheDestinationIsRefused(_ given: [String]) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let directory = try TemporaryDirectory("backup-dir-same")
        let run = directory.path + "/run"
        try Self.makeRun(run)
        try makeSymlink(run + "/dst/self", to: ".")
        try makeSymlink(run + "/dst-link", to: "dst")
        try Self.writeLocalShell(run)
        let before = try TreeSnapshot(run)
        let arguments = ["--rsync-path=" + Tools.swsync] + Self.arguments(given, run: run)
        let output = try Subprocess.run(Tools.swsync, arguments, in: run, outputPrefix: directory.path + "/out",
            timeout: 20)
        let context = Comment(rawValue: "\(arguments.joined(separator: " ")): \(output.stderrText)")
        #expect(output.termination == .exited(1), context)
        #expect(Self.stderrLines(output).first == "swsync: " + Self.refusal, context)
        let differences = TreeComparison.differences(before, try TreeSnapshot(run), labels: ("before", "after"))
        #expect(differences.isEmpty, Comment(rawValue: "touched:\n" + TreeComparison.report(differences)))
    }

    /// A push: the destination is the server's, so the receiving server refuses and nothing is written; the
    /// client shows the server's message and exits 1, as a local run does (rsync loses the data, exit 0).
    @Test func pushIntoTheDestinationAsBackupDirIsRefusedByTheServer() throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let directory = try TemporaryDirectory("backup-dir-push")
        let run = directory.path + "/run"
        try Self.makeRun(run)
        try Self.writeLocalShell(run)
        let before = try TreeSnapshot(run)
        let arguments = ["-a", "--backup-dir=" + run + "/dst", "-e", run + "/local-shell", "--rsync-path=" + Tools.swsync,
            "src/", "localhost:" + run + "/dst/"]
        let output = try Subprocess.run(Tools.swsync, arguments, in: run, outputPrefix: directory.path + "/out",
            timeout: 20)
        let context = Comment(rawValue: output.stderrText)
        #expect(output.termination == .exited(1), context)
        #expect(output.stderrText.contains("swsync: " + Self.refusal), context)
        let differences = TreeComparison.differences(before, try TreeSnapshot(run), labels: ("before", "after"))
        #expect(differences.isEmpty, Comment(rawValue: "touched:\n" + TreeComparison.report(differences)))
    }

    /// With a suffix, or another directory, the backup is made as rsync makes it.
    static let backupsKept: [[String]] = [
        ["-a", "--backup-dir=.", "--suffix=~", "src/", "dst/"],
        ["-a", "--backup-dir=bak", "src/", "dst/"],
        ["-a", "--backup-dir=..", "src/", "dst/"],
        ["-a", "--backup-dir=@RUN@/elsewhere", "src/", "dst/"],
    ]

    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
        arguments: backupsKept)
    func otherBackupDirsKeepTheBackupLikeRsync(_ given: [String]) throws {
        let runs = try Self.runBoth(given, label: "backup-dir-kept", untouched: false)
        #expect(runs.outputs[0].termination == .exited(0), runs.context)
        #expect(runs.outputs[1].termination == .exited(0), runs.context)
        let differences = TreeComparison.differences(runs.trees[0], runs.trees[1], labels: ("rsync", "swsync"),
            ignoringMtimeOf: [".", "dst", "bak", "elsewhere"])
        #expect(differences.isEmpty, Comment(rawValue: "trees differ:\n" + TreeComparison.report(differences)))
    }

    /// A `--backup-dir` on another file system: the renames fail (EXDEV) and each backup is a copy, as
    /// rsync makes it: a file with its mode and time, a symlink, a FIFO; the trees match rsync's.
    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
    func aBackupDirOnAnotherFileSystemGetsCopies() throws {
        let scratch = try TemporaryDirectory("backup-xdev")
        let elsewhere = try TemporaryDirectory("backup-xdev-dir", onScratchFileSystem: false)
        var (here, there) = (stat(), stat())
        guard stat(scratch.path, &here) == 0, stat(elsewhere.path, &there) == 0, here.st_dev != there.st_dev else {
            try Test.cancel("no second file system for the backup directory")
        }
        var trees: [TreeSnapshot] = []
        for (tool, executable) in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let run = scratch.path + "/" + tool, backups = elsewhere.path + "/" + tool
            try Self.makeRun(run)
            try makeSymlink(run + "/src/link", to: "new")
            try makeSymlink(run + "/dst/link", to: "old")
            try makeFIFO(run + "/dst/fifo-then-file", mode: 0o640)
            try writeFile(run + "/src/fifo-then-file", Array("now a file".utf8))
            try changeMode(run + "/dst/file.txt", 0o640)
            try setModificationTime(run + "/dst/file.txt", seconds: 1_500_000_000)
            let output = try Subprocess.run(executable, ["-a", "--backup-dir=" + backups, "src/", "dst/"], in: run,
                outputPrefix: scratch.path + "/" + tool)
            #expect(output.termination == .exited(0), "\(tool): \(output.stderrText)")
            trees.append(try TreeSnapshot(backups))
        }
        let differences = TreeComparison.differences(trees[0], trees[1], labels: ("rsync", "swsync"),
            ignoringMtimeOf: ["."])
        #expect(differences.isEmpty, Comment(rawValue: "backups differ:\n" + TreeComparison.report(differences)))
        #expect(trees[1].entries["file.txt"] != nil, "no backup was made")
    }

    /// `local-shell HOST COMMAND...`: runs the command here, as ssh would on HOST.
    static func writeLocalShell(_ run: String) throws {
        try writeFile(run + "/local-shell", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
    }
}
