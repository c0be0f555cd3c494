import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Batch mode (issue 13): `--write-batch`, `--only-write-batch`, `--read-batch` and FILE.sh, run by rsync
/// and swsync on the same fixture. Each tool replays its own batch (the formats differ by design); the
/// trees, exit codes and the lines a user reads are compared.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct BatchModeTests {
    struct Run {
        var status: Int32
        var stdout: [String]
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String], in directory: String, stdin: String? = nil) throws
        -> Run
    {
        var environment = Subprocess.childEnvironment.filter { !$0.hasPrefix("PATH=") }
        let tools = (Tools.swsync as NSString).deletingLastPathComponent
        environment.append("PATH=\(tools):/usr/local/bin:/usr/bin:/bin")
        let output = try Subprocess(executable: executable, arguments: arguments, directory: directory,
            outputPrefix: directory + "/out", environment: environment).wait()
        let status: Int32 = if case .exited(let code) = output.termination { code } else { -1 }
        return Run(status: status, stdout: output.stdoutText.split(separator: "\n").map(String.init).filter {
            // Byte counts and times are each tool's own (a local run's are estimated).
            !$0.hasPrefix("sent ") && !$0.hasPrefix("total size") && !$0.isEmpty && !$0.hasPrefix("Total bytes")
                && !$0.hasPrefix("File list generation time") && !$0.hasPrefix("File list transfer time")
        }, stderr: output.stderrText)
    }

    /// src (f1 grown from the old one, so a delta; f2, f3, sub/a new) and the old destination (f1, gone).
    static func fixture(_ root: String) throws {
        let old = Fixture.content("f1", size: 20000)
        try makeDirectories(root + "/src/sub")
        try makeDirectories(root + "/old")
        try writeFile(root + "/src/f1", old + Fixture.content("f1", size: 20000, variant: "more"))
        try writeFile(root + "/src/f2", Fixture.content("f2", size: 5000))
        try writeFile(root + "/src/f3", Fixture.content("f3", size: 700))
        try writeFile(root + "/src/sub/a", Array("hello\n".utf8))
        try writeFile(root + "/old/f1", old)
        try writeFile(root + "/old/gone", Array("old\n".utf8))
        for path in ["src/f1", "src/f2", "src/f3", "src/sub/a", "src/sub", "src", "old/f1", "old/gone", "old"] {
            var times = [timespec(tv_sec: 1_600_000_000, tv_nsec: 0), timespec(tv_sec: 1_600_000_000, tv_nsec: 0)]
            if path.hasPrefix("old/f1") { times = [timespec(tv_sec: 1_500_000_000, tv_nsec: 0), timespec(tv_sec: 1_500_000_000, tv_nsec: 0)] }
            _ = utimensat(AT_FDCWD, root + "/" + path, &times, 0)
        }
    }

    static func copyTree(_ from: String, _ to: String) throws {
        let output = try Subprocess(executable: "/bin/cp", arguments: ["-a", from, to], directory: "/", outputPrefix: nil)
            .wait()
        #expect(output.termination == .exited(0))
    }

    static func differences(_ a: String, _ b: String) throws -> [String] {
        TreeComparison.differences(try TreeSnapshot(a), try TreeSnapshot(b), labels: (a, b))
    }

    /// Both tools in their own copy of the fixture below `scratch`; `body` runs the steps with the tool's path.
    static func both(_ scratch: TemporaryDirectory, _ body: (String, String) throws -> [Run]) throws
        -> (rsync: [Run], swsync: [Run], roots: (String, String))
    {
        let rsyncRoot = scratch.path + "/rsync"
        let swsyncRoot = scratch.path + "/swsync"
        try makeDirectories(rsyncRoot)
        try fixture(rsyncRoot)
        try copyTree(rsyncRoot, swsyncRoot)
        return (try body(Tools.rsync!, rsyncRoot), try body(Tools.swsync, swsyncRoot), (rsyncRoot, swsyncRoot))
    }

    /// A batch written on the way from src to dst1 and replayed onto dst2 (dst1's old state) leaves dst2
    /// as dst1; the exit codes and the lines of both runs are rsync's.
    @Test(arguments: [
        ["-a"], ["-a", "--delete"], ["-ai"], ["-av", "--delete"], ["-a", "-W"], ["-ai", "--inplace"], ["-aci"],
        ["-ai", "--append"], ["-rti"], ["-ai", "-B", "1024"], ["-ai", "--delete-after"], ["-aiH"], ["-a", "--stats"],
        ["-av", "--stats", "--delete"],
    ])
    func writeThenReplay(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("batch-replay")
        var results: [String: [Run]] = [:]
        for (name, tool) in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + name
            try makeDirectories(root)
            try Self.fixture(root)
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst2")
            let write = try Self.run(tool, options + ["--write-batch=batch", "src/", "dst1/"], in: root)
            let read = try Self.run(tool, options + ["--read-batch=batch", "dst2/"], in: root)
            #expect(try Self.differences(root + "/dst1", root + "/dst2") == [], "\(name)")
            results[name] = [write, read]
        }
        let (rsync, swsync) = (results["rsync"]!, results["swsync"]!)
        #expect(swsync.map(\.status) == rsync.map(\.status), Comment(rawValue: swsync.map(\.stderr).joined()))
        #expect(swsync.map(\.stdout) == rsync.map(\.stdout))
        #expect(try Self.differences(scratch.path + "/rsync/dst2", scratch.path + "/swsync/dst2") == [])
    }

    /// FILE.sh is the command line with --read-batch and `${1:-DEST}`; run by sh, it replays the batch. The
    /// filter rules go into its here-document, read back by `--filter=._-`, as rsync writes them (rsync's
    /// own spelling of each rule; -C and -F stay as arguments).
    @Test(arguments: [
        ["-a", "--delete"], ["-a", "--exclude=*.o", "--include=sub/", "--filter=P x", "--filter=-/ abs", "--delete"],
        ["-a", "-F", "--exclude-from=rules", "--filter=dir-merge,n- .per", "-C"],
        ["-a", "--from0", "--exclude-from=rules0", "-f", "+ f1", "--exclude", "f*"],
    ])
    func replayScript(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("batch-script")
        var scripts: [String] = []
        for (name, tool) in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + name
            try makeDirectories(root)
            try Self.fixture(root)
            try writeFile(root + "/rules", Array("*.tmp\n+ sub/\n- /f3\n".utf8))
            try writeFile(root + "/rules0", Array("*.tmp\0/f3\0".utf8))
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst3")
            let write = try Self.run(tool, options + ["--write-batch=my batch", "src/", "dst1/"], in: root)
            #expect(write.status == 0, Comment(rawValue: write.stderr))
            let script = String(decoding: try readAllBytes(root + "/my batch.sh"), as: UTF8.self)
            scripts.append(script.split(separator: " ", maxSplits: 1).last.map(String.init) ?? "")
            let replay = try Self.run("/bin/sh", ["my batch.sh", "dst3/"], in: root)
            #expect(replay.status == 0, Comment(rawValue: replay.stderr))
            #expect(try Self.differences(root + "/dst1", root + "/dst3") == [], "\(name)")
        }
        // The program's own name first; the rest as rsync writes it.
        #expect(scripts[1] == scripts[0])
        if options == ["-a", "--delete"] {
            #expect(scripts[1] == "'-a' '--delete' --read-batch='my batch' ${1:-'dst1/'}\n")
        } else {
            #expect(scripts[1].hasPrefix("--filter='._-' "))
        }
    }

    /// --only-write-batch leaves the destination alone; the batch brings a copy of it up to date.
    @Test func onlyWriteBatch() throws {
        let scratch = try TemporaryDirectory("batch-only")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst2")
            let before = try TreeSnapshot(root + "/dst1")
            let write = try Self.run(tool, ["-av", "--delete", "--only-write-batch=batch", "src/", "dst1/"], in: root)
            #expect(TreeComparison.differences(before, try TreeSnapshot(root + "/dst1"), labels: ("before", "after")) == [])
            let replay = try Self.run("/bin/sh", ["-c", "exec \"$0\" -a --delete --read-batch=- dst2/ < batch", tool], in: root)
            #expect(try Self.differences(root + "/src", root + "/dst2") == [])
            return [write, replay]
        }
        #expect(runs.swsync.map(\.status) == runs.rsync.map(\.status))
        #expect(runs.swsync[0].stdout == runs.rsync[0].stdout)
        #expect(try Self.differences(runs.roots.0 + "/dst2", runs.roots.1 + "/dst2") == [])
    }

    /// A replay onto an up-to-date destination drops each recorded file with rsync's line; `--stats` shows
    /// the recorded run's counts, as rsync's.
    @Test func upToDateFilesAreSkipped() throws {
        let scratch = try TemporaryDirectory("batch-skip")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            let write = try Self.run(tool, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root)
            let read = try Self.run(tool, ["-a", "--stats", "--read-batch=batch", "dst1/"], in: root)
            return [write, read]
        }
        #expect(runs.swsync.map(\.status) == [0, 0])
        #expect(runs.swsync.map(\.status) == runs.rsync.map(\.status))
        #expect(runs.swsync[1].stdout == runs.rsync[1].stdout)
        #expect(runs.swsync[1].stdout.contains("(Skipping batched update for \"sub/a\")"))
    }

    /// The options that decide how a batch reads are taken from it, with rsync's lines under -v
    /// (`--info=misc`; rsync then refuses some of these replays of an inc-recursive batch; swsync replays them).
    @Test(arguments: [["-v"], ["-av"], ["-dv"], ["-rv"], ["-rlptgoDv"], ["--info=misc"], ["-v", "--info=misc0"],
        ["-q", "--info=misc"]])
    func flagsComeFromTheBatch(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("batch-flags")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst2")
            _ = try Self.run(tool, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root)
            return [try Self.run(tool, options + ["--read-batch=batch", "dst2/"], in: root)]
        }
        func lines(_ run: Run) -> [String] { run.stdout.filter { $0.hasSuffix("option to match the batchfile.") } }
        #expect(lines(runs.swsync[0]) == lines(runs.rsync[0]))
        #expect(runs.swsync[0].status == 0)
        if options == ["--info=misc"] { #expect(!lines(runs.rsync[0]).isEmpty, "rsync printed no notice") }
    }

    /// A replay's file-list line follows the batch's run, as rsync's: a whole list (written with
    /// `--delete-after`) is "receiving file list ...", counted with `--progress`.
    @Test(arguments: [["-v"], ["--info=flist2"], ["-v", "--progress"]])
    func replayListsAsTheBatchWasListed(_ options: [String]) throws {
        let written = ["-a", "--delete-after"]
        let scratch = try TemporaryDirectory("batch-flist")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst2")
            _ = try Self.run(tool, written + ["--write-batch=batch", "src/", "dst1/"], in: root)
            return [try Self.run(tool, options + ["--read-batch=batch", "dst2/"], in: root)]
        }
        func lines(_ run: Run) -> [String] { run.stdout.filter { $0.contains("file list") || $0.contains(" files") } }
        #expect(lines(runs.swsync[0]) == lines(runs.rsync[0]))
        #expect(!lines(runs.rsync[0]).isEmpty, "rsync printed no file-list line")
    }

    /// A dry run of a replay shows what it would do and changes nothing, as rsync's does.
    @Test(arguments: [["-ani"], ["-anv", "--delete"]])
    func dryRunReplay(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("batch-dry")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            try Self.copyTree(root + "/old", root + "/dst2")
            _ = try Self.run(tool, ["-a", "--delete", "--write-batch=batch", "src/", "dst1/"], in: root)
            let read = try Self.run(tool, options + ["--read-batch=batch", "dst2/"], in: root)
            #expect(try Self.differences(root + "/old", root + "/dst2") == [])
            return [read]
        }
        #expect(runs.swsync[0].status == runs.rsync[0].status)
        #expect(runs.swsync[0].stdout == runs.rsync[0].stdout)
    }

    /// A destination whose basis differs from the recorded one: the delta cannot rebuild the file, which
    /// fails its whole-file check and stays as it was (exit 23); nothing is left behind.
    @Test func differentBasisFailsVerificationWithoutCorrupting() throws {
        let scratch = try TemporaryDirectory("batch-basis")
        let root = scratch.path
        try Self.fixture(root)
        try Self.copyTree(root + "/old", root + "/dst1")
        #expect(try Self.run(Tools.swsync, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root).status == 0)
        try makeDirectories(root + "/other")
        let other = Array(repeating: UInt8(ascii: "x"), count: 20000)
        try writeFile(root + "/other/f1", other)
        let read = try Self.run(Tools.swsync, ["-av", "--read-batch=batch", "other/"], in: root)
        #expect(read.status == 23)
        #expect(read.stderr.contains("WARNING: f1 failed verification -- update discarded (may try again)."))
        #expect(read.stderr.contains("ERROR: f1 failed verification -- update discarded."))
        #expect(try readAllBytes(root + "/other/f1") == other)
        #expect(try readAllBytes(root + "/other/f2") == readAllBytes(root + "/src/f2"))
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/other").sorted()
        #expect(names == ["f1", "f2", "f3", "sub"])
    }

    /// A file the generator wants but the batch lacks: rsync's "(No batched update ...)", exit 23.
    @Test func fileMissingFromTheBatch() throws {
        let scratch = try TemporaryDirectory("batch-missing")
        let runs = try Self.both(scratch) { tool, root in
            try makeDirectories(root + "/s")
            for name in ["a", "b"] { try writeFile(root + "/s/" + name, Array(name.utf8)) }
            try Self.copyTree(root + "/s", root + "/t1")
            try writeFile(root + "/s/c", Array("c".utf8))
            let write = try Self.run(tool, ["-a", "--write-batch=batch", "s/", "t1/"], in: root)
            try makeDirectories(root + "/t2")
            try Self.copyTree(root + "/s/b", root + "/t2/b")
            let read = try Self.run(tool, ["-a", "--read-batch=batch", "t2/"], in: root)
            return [write, read]
        }
        #expect(runs.swsync.map(\.status) == runs.rsync.map(\.status))
        #expect(runs.swsync[1].status == 23)
        #expect(runs.swsync[1].stderr.contains("(No batched update for \"a\")"))
        #expect(runs.rsync[1].stderr.contains("(No batched update for \"a\")"))
    }

    /// rsync's refusals, with its exit codes.
    @Test(arguments: [
        ["-a", "--read-batch=batch", "--write-batch=other", "dst/"], ["-a", "--read-batch=batch", "host:dst/"],
        ["-a", "--read-batch=absent", "dst/"], ["-a", "--read-batch=batch", "--files-from=list", "dst/"],
        ["-a", "--read-batch=batch", "--remove-source-files", "dst/"],
    ])
    func refusals(_ arguments: [String]) throws {
        let scratch = try TemporaryDirectory("batch-refuse")
        let runs = try Self.both(scratch) { tool, root in
            try Self.copyTree(root + "/old", root + "/dst1")
            try writeFile(root + "/list", Array("f1\n".utf8))
            _ = try Self.run(tool, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root)
            return [try Self.run(tool, arguments, in: root)]
        }
        #expect(runs.swsync[0].status == runs.rsync[0].status, Comment(rawValue: runs.swsync[0].stderr))
    }

    /// A batch cut short or overwritten ends the replay with a clear error (exit 12), never a trap, and
    /// every destination file is either as it was or the recorded one.
    @Test(arguments: [0.3, 0.6, 0.95])
    func damagedBatchEndsCleanly(_ fraction: Double) throws {
        let scratch = try TemporaryDirectory("batch-damaged")
        let root = scratch.path
        try Self.fixture(root)
        try Self.copyTree(root + "/old", root + "/dst1")
        #expect(try Self.run(Tools.swsync, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root).status == 0)
        let whole = try readAllBytes(root + "/batch")
        var corrupted = whole
        for index in stride(from: Int(Double(whole.count) * fraction), to: whole.count, by: 97) { corrupted[index] ^= 0x5A }
        for (name, bytes) in [("cut", Array(whole.prefix(Int(Double(whole.count) * fraction)))), ("flipped", corrupted)] {
            try writeFile(root + "/" + name, bytes)
            let destination = root + "/dst-" + name
            try Self.copyTree(root + "/old", destination)
            let read = try Self.run(Tools.swsync, ["-a", "--read-batch=" + name, "dst-\(name)/"], in: root)
            #expect([12, 23].contains(read.status), Comment(rawValue: "\(name): \(read.status) \(read.stderr)"))
            #expect(read.stderr.contains("batch") || read.stderr.contains("verification"), Comment(rawValue: read.stderr))
            for file in ["f1", "f2", "f3", "sub/a"] {
                guard let bytes = try? readAllBytes(destination + "/" + file) else { continue }
                let old = try? readAllBytes(root + "/old/" + file)
                #expect(try bytes == readAllBytes(root + "/src/" + file) || bytes == old, "\(name) \(file)")
            }
        }
    }

    /// A batch that ends (with its end record) before any file list, or is empty, or is standard input
    /// that ends at once, is refused at once (exit 12), not waited on.
    @Test(arguments: [[0x00, 0x53, 0x57, 0x42, 0x41, 0x54, 0x43, 0x48, 1, 0x01, 1, 0x30, 0, 0, 0, 0, 0], []] as [[UInt8]])
    func batchWithoutAFileList(_ bytes: [UInt8]) throws {
        let scratch = try TemporaryDirectory("batch-empty")
        try writeFile(scratch.path + "/batch", bytes)
        try makeDirectories(scratch.path + "/dst")
        let read = try Self.run(Tools.swsync, ["-a", "--read-batch=batch", "dst/"], in: scratch.path)
        #expect(read.status == 12, Comment(rawValue: read.stderr))
        #expect(read.stderr.contains("batch file \"\(scratch.path)/batch\" is unusable"))
        let piped = try Self.run("/bin/sh", ["-c", "exec \"$0\" -a --read-batch=- dst/ < /dev/null", Tools.swsync],
            in: scratch.path)
        #expect(piped.status == 12, Comment(rawValue: piped.stderr))
    }

    /// SIGINT while the batch comes through a pipe that went quiet: exit 20, no temp file left.
    @Test func interruptedReplayFromAQuietPipe() throws {
        let scratch = try TemporaryDirectory("batch-interrupt")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try writeFile(root + "/src/big", Fixture.content("big", size: 6 << 20))
        #expect(try Self.run(Tools.swsync, ["-a", "--write-batch=batch", "src/", "dst1/"], in: root).status == 0)
        try makeDirectories(root + "/dst2")
        let script = "(head -c 3000000 batch; sleep 5) | \"$0\" -a --read-batch=- dst2/ & p=$!; sleep 1; kill -INT $p; "
            + "wait $p; echo \"status $?\""
        let run = try Self.run("/bin/sh", ["-c", script, Tools.swsync], in: root)
        #expect(run.stdout.contains("status 20"), Comment(rawValue: run.stderr))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/dst2") == [])
    }

    /// A pull and a push record their batch on the client; the batch replays locally.
    @Test func pullWritesABatch() throws {
        let scratch = try TemporaryDirectory("batch-pull")
        let root = scratch.path
        try Self.fixture(root)
        try writeFile(root + "/rsh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
        try Self.copyTree(root + "/old", root + "/dst1")
        try Self.copyTree(root + "/old", root + "/dst2")
        try Self.copyTree(root + "/old", root + "/dst3")
        let pull = try Self.run(Tools.swsync, ["-a", "--delete", "-e", root + "/rsh", "--rsync-path=" + Tools.swsync,
            "--write-batch=batch", "host:" + root + "/src/", "dst1/"], in: root)
        #expect(pull.status == 0, Comment(rawValue: pull.stderr))
        #expect(try Self.run(Tools.swsync, ["-a", "--delete", "--read-batch=batch", "dst2/"], in: root).status == 0)
        #expect(try Self.differences(root + "/dst1", root + "/dst2") == [])
        let push = try Self.run(Tools.swsync, ["-a", "--delete", "-e", root + "/rsh", "--rsync-path=" + Tools.swsync,
            "--write-batch=pushed", "src/", "host:" + root + "/dst3/"], in: root)
        #expect(push.status == 0, Comment(rawValue: push.stderr))
        try Self.copyTree(root + "/old", root + "/dst4")
        #expect(try Self.run(Tools.swsync, ["-a", "--delete", "--read-batch=pushed", "dst4/"], in: root).status == 0)
        #expect(try Self.differences(root + "/dst3", root + "/dst4") == [])
        // --only-write-batch both ways: the destination stays; the batch brings a copy of it up to date.
        for (name, operands) in [("pulled-only", ["host:" + root + "/src/", "dst5/"]),
            ("pushed-only", ["src/", "host:" + root + "/dst5/"])]
        {
            try? FileManager.default.removeItem(atPath: root + "/dst5")
            try? FileManager.default.removeItem(atPath: root + "/dst6")
            try Self.copyTree(root + "/old", root + "/dst5")
            try Self.copyTree(root + "/old", root + "/dst6")
            let only = try Self.run(Tools.swsync, ["-a", "--delete", "-e", root + "/rsh", "--rsync-path=" + Tools.swsync,
                "--only-write-batch=" + name] + operands, in: root)
            #expect(only.status == 0, Comment(rawValue: only.stderr))
            #expect(try Self.differences(root + "/old", root + "/dst5") == [], "\(name)")
            #expect(try Self.run(Tools.swsync, ["-a", "--delete", "--read-batch=" + name, "dst6/"], in: root).status == 0)
            #expect(try Self.differences(root + "/src", root + "/dst6") == [], "\(name)")
        }
    }
}
