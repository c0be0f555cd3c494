import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Ways to lose data or put it where the user did not ask, found by fault testing (issue 11): an
/// interrupted `--partial` run, a file that grows or shrinks while it is sent, a full disk, two runs
/// into one destination, and `-K` through a symlink that leads out of the destination. Each is run
/// as a user would meet it, and where rsync can be run on the same set-up its result is the oracle.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable, "swsync binary not built"))
struct DataSafetyTests {
    // MARK: --partial keeps a file no later run takes for finished

    /// How a run is stopped midway.
    enum Stop: String, CaseIterable, CustomTestStringConvertible {
        case sigterm, sigint
        var signal: Int32 { self == .sigterm ? SIGTERM : SIGINT }
        var testDescription: String { rawValue }
    }

    /// A local run stopped by a signal keeps the partial file dated 1970 and with the file's own mode,
    /// as rsync does; a re-run with `-u` or `--size-only` then finishes it (before the fix the partial
    /// file had the current time and mode 0600, and `-u` skipped it for good).
    @Test(arguments: Stop.allCases, ["-u", "--size-only"])
    func interruptedPartialIsFinishedByTheNextRun(_ stop: Stop, _ rerunOption: String) throws {
        let scratch = try TemporaryDirectory("partial-\(stop.rawValue)")
        for tool in tools {
            let root = scratch.path + "/" + tool.label
            try makeDirectories(root + "/src")
            let size = 16_000_000
            try writeFile(root + "/src/big.bin", Fixture.content("big.bin", size: size), mode: 0o640)
            try setModificationTime(root + "/src/big.bin", seconds: 1_600_000_000)
            let run = try Subprocess(executable: tool.executable,
                arguments: ["-a", "--partial", "--bwlimit=4000", "src/", "dst/"], directory: root,
                outputPrefix: root + "/first")
            try waitForTempData(in: root + "/dst", atLeast: 1_000_000, while: run)
            run.send(stop.signal)
            let first = run.wait(timeout: 30)
            #expect(first.termination == .exited(20), "\(tool.label): \(first.stderrText)")
            // rsync's receiver, a child process, may finish its clean-up after the parent has exited.
            let partial = try waitForPartial(root + "/dst", name: "big.bin")
            #expect(partial.st_size > 0 && Int(partial.st_size) < size, "\(tool.label): \(partial.st_size) bytes")
            #expect(partial.st_mtim.tv_sec == 0, "\(tool.label): partial dated \(partial.st_mtim.tv_sec)")
            #expect(partial.st_mode & 0o7777 == 0o640, "\(tool.label): mode \(String(partial.st_mode & 0o7777, radix: 8))")

            let second = try Subprocess(executable: tool.executable,
                arguments: ["-a", "--partial", rerunOption, "src/", "dst/"], directory: root,
                outputPrefix: root + "/second").wait()
            #expect(second.termination == .exited(0), "\(tool.label): \(second.stderrText)")
            #expect(try readAllBytes(root + "/dst/big.bin") == readAllBytes(root + "/src/big.bin"),
                "\(tool.label) left the file unfinished after \(rerunOption)")
        }
    }

    /// `--partial-dir` keeps the partial file out of the destination with the file's mode; the
    /// destination file itself is untouched.
    @Test func interruptedPartialDirKeepsTheModeAndTheOldFile() throws {
        let scratch = try TemporaryDirectory("partial-dir")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try makeDirectories(root + "/dst")
        try writeFile(root + "/src/big.bin", Fixture.content("big.bin", size: 16_000_000), mode: 0o640)
        try writeFile(root + "/dst/big.bin", Array("old".utf8))
        // Older than the source, whatever the clock did while the source was written: `-u` below must not
        // skip it (on a loaded machine the two writes can fall in different seconds).
        try setModificationTime(root + "/dst/big.bin", seconds: 946_684_800)
        let run = try Subprocess(executable: Tools.swsync,
            arguments: ["-a", "--partial-dir=.part", "--bwlimit=4000", "src/", "dst/"], directory: root,
            outputPrefix: root + "/first")
        try waitForTempData(in: root + "/dst", atLeast: 1_000_000, while: run)
        run.send(SIGTERM)
        #expect(run.wait(timeout: 30).termination == .exited(20))
        #expect(try readAllBytes(root + "/dst/big.bin") == Array("old".utf8))
        let partial = try #require(fileStatus(root + "/dst/.part/big.bin"))
        #expect(partial.st_mode & 0o7777 == 0o640)
        let second = try Subprocess(executable: Tools.swsync,
            arguments: ["-a", "--partial-dir=.part", "-u", "src/", "dst/"], directory: root,
            outputPrefix: root + "/second").wait()
        #expect(second.termination == .exited(0), Comment(rawValue: second.stderrText))
        #expect(try readAllBytes(root + "/dst/big.bin") == readAllBytes(root + "/src/big.bin"))
        #expect(!exists(root + "/dst/.part"))
    }

    /// Which end of a remote run is killed (-9) midway: a push's client, or a pull's server (the sender
    /// in both cases, so the receiver sees the link close and keeps what arrived).
    enum KilledSender: String, CaseIterable, CustomTestStringConvertible {
        case pushClient, pullServer
        var testDescription: String { rawValue }
    }

    /// The receiver of a remote run whose sender is killed keeps the partial file dated 1970 with the
    /// file's mode, and a re-run with `-u` finishes it.
    @Test(.tags(.remote), .enabled(if: RemoteHost.isAvailable, "sshd or ssh not installed"),
        arguments: KilledSender.allCases)
    func killedRemoteSenderLeavesAPartialThatUpdateFinishes(_ killed: KilledSender) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("partial-\(killed.rawValue)")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try writeFile(root + "/src/big.bin", Fixture.content("big.bin", size: 16_000_000), mode: 0o640)
        let operands = killed == .pushClient
            ? ["src/", host.remote(root + "/dst/")] : [host.remote(root + "/src/"), "dst/"]
        let client = try Subprocess(executable: Tools.swsync,
            arguments: ["--rsync-path=\(RemoteHost.absoluteSwsync)", "-a", "--partial", "--bwlimit=3000"] + operands,
            directory: root, outputPrefix: root + "/first", environment: RemoteHost.environment(home: host.home))
        try waitForTempData(in: root + "/dst", atLeast: 1_000_000, while: client)
        if killed == .pushClient {
            client.send(SIGKILL)
        } else {
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
            kill.arguments = ["-KILL", "-f", "--", "--server --sender .* \(root)/src/"]
            try kill.run()
            kill.waitUntilExit()
        }
        let first = client.wait(timeout: 30)
        #expect(first.termination != .exited(0), Comment(rawValue: first.stderrText))
        // A push's server notices the closed link after its client is gone.
        let partial = try waitForPartial(root + "/dst", name: "big.bin")
        #expect(partial.st_mtim.tv_sec == 0, "partial dated \(partial.st_mtim.tv_sec)")
        #expect(partial.st_mode & 0o7777 == 0o640)
        let second = try host.runSwsync(["-a", "--partial", "-u"] + operands, transport: .libssh, in: root,
            outputPrefix: root + "/second")
        #expect(second.termination == .exited(0), Comment(rawValue: second.stderrText))
        #expect(try readAllBytes(root + "/dst/big.bin") == readAllBytes(root + "/src/big.bin"))
    }

    /// Which receiving process is killed (-9) midway: a local run (one process), or a push's server.
    enum KilledReceiver: String, CaseIterable, CustomTestStringConvertible {
        case localRun, pushServer
        var testDescription: String { rawValue }
    }

    /// A receiver killed with SIGKILL mid-file cannot clean up, yet the file's name still holds the old
    /// version whole: the new data only ever went to a temp name. A re-run with `--partial` completes it.
    @Test(.tags(.remote), .enabled(if: RemoteHost.isAvailable, "sshd or ssh not installed"),
        arguments: KilledReceiver.allCases)
    func killedReceiverNeverLeavesAHalfWrittenFile(_ killed: KilledReceiver) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("killed-\(killed.rawValue)")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try makeDirectories(root + "/dst")
        let old = Fixture.content("old big.bin", size: 3_000_000)
        try writeFile(root + "/src/big.bin", Fixture.content("big.bin", size: 16_000_000))
        try writeFile(root + "/dst/big.bin", old)
        let destination = killed == .localRun ? "dst/" : host.remote(root + "/dst/")
        let options = ["--rsync-path=\(RemoteHost.absoluteSwsync)", "-a", "--partial", "--whole-file"]
        let client = try Subprocess(executable: Tools.swsync,
            arguments: options + ["--bwlimit=3000", "src/", destination],
            directory: root, outputPrefix: root + "/first", environment: RemoteHost.environment(home: host.home))
        try waitForTempData(in: root + "/dst", atLeast: 4_000_000, while: client)
        if killed == .localRun {
            client.send(SIGKILL)
        } else {
            let kill = Process()
            kill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
            kill.arguments = ["-KILL", "-f", "--", "swsync --server .* \(root)/dst/"]
            try kill.run()
            kill.waitUntilExit()
        }
        let first = client.wait(timeout: 30)
        #expect(first.termination != .exited(0), Comment(rawValue: first.stderrText))
        #expect(try readAllBytes(root + "/dst/big.bin") == old, "the final name holds something other than the old file")
        let second = try host.runSwsync(options + ["src/", destination], transport: .libssh, in: root,
            outputPrefix: root + "/second")
        #expect(second.termination == .exited(0), Comment(rawValue: second.stderrText))
        #expect(try readAllBytes(root + "/dst/big.bin") == readAllBytes(root + "/src/big.bin"))
    }

    // MARK: A file that changes size while it is sent

    /// A file appended to all the time is sent as far as it was listed: the run ends, and what arrived
    /// is the start of the file. The next run, once the writer stops, completes it (before the fix
    /// the copy chased the end of the file and the run never ended).
    @Test(arguments: [["-a"], ["-a", "--no-whole-file"], ["-a", "--bwlimit=20000"]])
    func growingFileIsSentAsListed(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("growing")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try writeFile(root + "/src/grow.bin", Fixture.content("grow.bin", size: 8_000_000))
        if options.contains("--no-whole-file") {
            try makeDirectories(root + "/dst")
            try writeFile(root + "/dst/grow.bin", Fixture.content("grow.bin", size: 4_000_000))
        }
        let writer = Appender(path: root + "/src/grow.bin")
        writer.start()
        let output = try Subprocess(executable: Tools.swsync, arguments: options + ["src/", "dst/"],
            directory: root, outputPrefix: root + "/out").wait(timeout: 120)
        writer.stop()
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        let sent = try readAllBytes(root + "/dst/grow.bin")
        let source = try readAllBytes(root + "/src/grow.bin")
        #expect(sent.count >= 8_000_000 && sent.count < source.count, "\(sent.count) of \(source.count) bytes")
        #expect(Array(source.prefix(sent.count)) == sent, "what arrived is not the start of the file")
        let again = try Subprocess(executable: Tools.swsync, arguments: options + ["src/", "dst/"],
            directory: root, outputPrefix: root + "/again").wait()
        #expect(again.termination == .exited(0), Comment(rawValue: again.stderrText))
        #expect(try readAllBytes(root + "/dst/grow.bin") == source)
    }

    /// A file that grew after it was listed but before it is opened goes whole, as rsync sends the length it
    /// finds when it opens a file (here the earlier file's paced copy gives the writer time to append).
    @Test(arguments: [["-a"], ["-a", "--no-whole-file"]])
    func aFileThatGrewBeforeItIsOpenedGoesWhole(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("grew")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try writeFile(root + "/src/aaa_big", Fixture.content("aaa_big", size: 3_000_000))
        try writeFile(root + "/src/zzz_grow", Fixture.content("zzz_grow", size: 4096))
        let process = try Subprocess(executable: Tools.swsync, arguments: options + ["--bwlimit=3000", "src/", "dst/"],
            directory: root, outputPrefix: root + "/out")
        usleep(300_000)
        let descriptor = open(root + "/src/zzz_grow", O_WRONLY | O_APPEND)
        let more = Fixture.content("more", size: 256 * 1024)
        #expect(more.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == more.count)
        close(descriptor)
        let output = process.wait(timeout: 60)
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        let sent = try readAllBytes(root + "/dst/zzz_grow")
        #expect(sent.count == 4096 + more.count, "\(sent.count) bytes arrived")
        #expect(sent == (try readAllBytes(root + "/src/zzz_grow")))
    }

    /// A file cut short while it is sent is rsync's read error (exit 23, no deletions after it); the
    /// destination keeps its old version rather than a short file with the listed time.
    @Test func shrinkingFileIsAReadErrorAndKeepsTheOldFile() throws {
        let scratch = try TemporaryDirectory("shrinking")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try makeDirectories(root + "/dst")
        try writeFile(root + "/src/shrink.bin", Fixture.content("shrink.bin", size: 20_000_000))
        try writeFile(root + "/dst/shrink.bin", Array("old".utf8))
        try writeFile(root + "/dst/extra", Array("extra".utf8))
        let run = try Subprocess(executable: Tools.swsync,
            arguments: ["-a", "--bwlimit=4000", "--delete-after", "src/", "dst/"], directory: root,
            outputPrefix: root + "/out")
        try waitForTempData(in: root + "/dst", atLeast: 200_000, while: run)
        #expect(truncate(root + "/src/shrink.bin", 5_000_000) == 0)
        let output = run.wait(timeout: 60)
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains(
            "swsync: [sender] read errors mapping \"\(root)/src/shrink.bin\": No data available (61)"),
            Comment(rawValue: output.stderrText))
        #expect(try readAllBytes(root + "/dst/shrink.bin") == Array("old".utf8))
        #expect(exists(root + "/dst/extra"), "deleted after a source read error")
        #expect(try directoryEntries(root + "/dst").sorted() == ["extra", "shrink.bin"], "a temp file was left")
    }

    // MARK: A full disk stops the run

    /// The first ENOSPC ends the run with 11 and rsync's message; nothing is deleted afterwards, no temp
    /// file stays, and the files already in place are whole (before the fix every remaining file was
    /// tried, the run ended with 23, and --delete-after still deleted). rsync on the same disk agrees.
    @Test(.enabled(if: SmallDisk.canMount, "needs root to mount a small tmpfs"),
        arguments: [["-a", "--delete-after"], ["-a", "--no-whole-file", "--delete-after"], ["-a", "--delete-during"]])
    func fullDiskStopsTheRunWithCode11(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("enospc")
        let source = scratch.path + "/src"
        try makeDirectories(source + "/a")
        try makeDirectories(source + "/b")
        for index in 1...4 { try writeFile(source + "/a/f\(index)", Fixture.content("f\(index)", size: 2_000_000)) }
        try writeFile(source + "/b/z", Array("z".utf8))
        for tool in tools {
            let disk = try SmallDisk(megabytes: 5, label: scratch.path + "/disk-" + tool.label)
            defer { disk.unmount() }
            let destination = disk.path + "/dst"
            try makeDirectories(destination)
            try writeFile(destination + "/extra", Array("old".utf8))
            let output = try Subprocess(executable: tool.executable, arguments: options + [source + "/", destination + "/"],
                directory: scratch.path, outputPrefix: scratch.path + "/" + tool.label).wait()
            #expect(output.termination == .exited(11), "\(tool.label): \(output.stderrText)")
            #expect(output.stderrText.contains("write failed on \"\(destination)/a/f"), "\(tool.label): \(output.stderrText)")
            #expect(output.stderrText.contains("No space left on device (28)"), "\(tool.label): \(output.stderrText)")
            if options.contains("--delete-after") {
                #expect(exists(destination + "/extra"), "\(tool.label) deleted after the disk filled")
            }
            if tool.label == "swsync" {
                for name in try directoryEntries(destination + "/a") {
                    #expect(!name.hasPrefix("."), "temp file \(name) left behind")
                    #expect(try readAllBytes(destination + "/a/" + name) == readAllBytes(source + "/a/" + name),
                        "\(name) is not whole")
                }
            }
        }
    }

    /// The same on a push: the server stops at the full disk and the client exits 11 with its message.
    @Test(.tags(.remote), .enabled(if: SmallDisk.canMount, "needs root to mount a small tmpfs"),
        .enabled(if: RemoteHost.isAvailable, "sshd or ssh not installed"))
    func fullDiskOnAPushStopsTheRunWithCode11() throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("enospc-push")
        let source = scratch.path + "/src"
        try makeDirectories(source + "/a")
        for index in 1...4 { try writeFile(source + "/a/f\(index)", Fixture.content("f\(index)", size: 2_000_000)) }
        let disk = try SmallDisk(megabytes: 5, label: scratch.path + "/disk")
        defer { disk.unmount() }
        try makeDirectories(disk.path + "/dst")
        try writeFile(disk.path + "/dst/extra", Array("old".utf8))
        let output = try host.runSwsync(["-a", "--delete-after", source + "/", host.remote(disk.path + "/dst/")],
            transport: .libssh, in: scratch.path, outputPrefix: scratch.path + "/out")
        #expect(output.termination == .exited(11), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("No space left on device (28)"), Comment(rawValue: output.stderrText))
        #expect(exists(disk.path + "/dst/extra"))
        for name in try directoryEntries(disk.path + "/dst/a") { #expect(!name.hasPrefix("."), "temp file \(name)") }
    }

    // MARK: Two runs into one destination

    /// Two runs at once into the same destination, with --delete: neither removes the other's temp
    /// files nor fails on a directory the other made; both exit 0 and the tree is the source's (before
    /// the fix both failed with 23: "rename ... No such file or directory", "mkdir ... File exists").
    @Test func twoRunsIntoOneDestinationBothSucceed() throws {
        let scratch = try TemporaryDirectory("two-runs")
        let root = scratch.path
        for directory in 1...20 {
            try makeDirectories(root + "/src/d\(directory)")
            for file in 1...25 {
                try writeFile(root + "/src/d\(directory)/f\(file)", Fixture.content("d\(directory)/f\(file)", size: 20_000))
            }
        }
        for round in 1...3 {
            removeTree(root + "/dst")
            let runs = try (1...2).map { run in
                try Subprocess(executable: Tools.swsync, arguments: ["-a", "--delete", "src/", "dst/"],
                    directory: root, outputPrefix: root + "/round\(round)-run\(run)")
            }
            for (index, run) in runs.enumerated() {
                let output = run.wait()
                #expect(output.termination == .exited(0), "round \(round), run \(index + 1): \(output.stderrText)")
            }
            let source = try TreeSnapshot(root + "/src")
            let destination = try TreeSnapshot(root + "/dst")
            let differences = TreeComparison.differences(source, destination, labels: ("src", "dst"))
            #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
        }
    }

    /// A temp file another writer holds (its lock taken) is not deleted by --delete; a temp-looking name
    /// nobody holds, left by a run that died long ago, is.
    @Test func deleteLeavesATempFileAnotherRunIsWriting() throws {
        let scratch = try TemporaryDirectory("held-temp")
        let root = scratch.path
        try makeDirectories(root + "/src")
        try makeDirectories(root + "/dst")
        try writeFile(root + "/src/f", Array("f".utf8))
        let held = root + "/dst/.f.AbC123"
        try writeFile(held, Array("being written".utf8))
        let descriptor = open(held, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(flock(descriptor, LOCK_EX) == 0)
        try writeFile(root + "/dst/stale", Array("stale".utf8))
        let output = try Subprocess(executable: Tools.swsync, arguments: ["-a", "--delete", "-v", "src/", "dst/"],
            directory: root, outputPrefix: root + "/out").wait()
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        #expect(exists(held), "another writer's temp file was deleted")
        #expect(!exists(root + "/dst/stale"))
        #expect(output.stdoutText.contains("deleting stale"))
        #expect(!output.stdoutText.contains(".f.AbC123"))
    }

    // MARK: -K through a symlink that leads outside

    /// `-K` keeps a destination symlink to a directory inside the destination and writes through it,
    /// but refuses one that leads outside (rsync 3.5: ELOOP for each entry below it, exit 23); nothing
    /// is written or deleted outside.
    @Test(.tags(.differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
        arguments: [["-aK"], ["-aiK", "--delete"]])
    func keepDirlinksRefusesALinkLeadingOutside(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .dirlinkOutside, rerun: false,
            oracleExit: 23, checks: [.exists("outside/f", false), .exists("outside/keep")]))
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .dirlinkInside,
            checks: [.exists("dst/inside/f")]))
    }

    // MARK: Helpers

    struct Tool {
        var label: String
        var executable: String
    }

    /// swsync, and rsync when installed (the oracle for the same set-up).
    var tools: [Tool] {
        [Tool(label: "swsync", executable: Tools.swsync)]
            + (Tools.rsync.map { [Tool(label: "rsync", executable: $0)] } ?? [])
    }

    /// Waits until some file in `directory` (a temp file, or the partial) holds `bytes`.
    func waitForTempData(in directory: String, atLeast bytes: Int, while run: Subprocess) throws {
        for _ in 0..<600 {
            if largestFile(in: directory) >= bytes { return }
            if run.poll() != nil { throw HarnessError("the run ended before \(bytes) bytes arrived in \(directory)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("\(bytes) bytes never arrived in \(directory)")
    }

    /// Waits for the partial file `name` to be in place in `directory` with no temp file beside it (a
    /// server, or rsync's receiver, finishing after the process we stopped).
    func waitForPartial(_ directory: String, name: String) throws -> stat {
        for _ in 0..<200 {
            let names = (try? directoryEntries(directory)) ?? []
            if let status = fileStatus(directory + "/" + name), !names.contains(where: { $0.hasPrefix(".") }) {
                return status
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("no partial file \(name) in \(directory)")
    }

    func largestFile(in directory: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.compactMap { fileStatus(directory + "/" + $0).map { Int($0.st_size) } }.max() ?? 0
    }
}

/// Appends to a file on its own thread until stopped (a log or a recording that grows while sent).
final class Appender: @unchecked Sendable {
    let path: String
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(path: String) { self.path = path }

    func start() {
        Thread.detachNewThread { [self] in
            let descriptor = open(path, O_WRONLY | O_APPEND)
            let chunk = [UInt8](repeating: 0x61, count: 64 * 1024)
            while isRunning && descriptor >= 0 {
                _ = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                Thread.sleep(forTimeInterval: 0.002)
            }
            if descriptor >= 0 { close(descriptor) }
            done.signal()
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    func stop() {
        lock.withLock { running = false }
        done.wait()
    }
}

/// A small tmpfs of our own, to fill up (needs root; skipped otherwise).
struct SmallDisk {
    let path: String

    static let canMount: Bool = {
        guard geteuid() == 0, let probe = try? SmallDisk(megabytes: 1, label: NSTemporaryDirectory() + "/swsync-mount-probe-\(getpid())") else {
            return false
        }
        probe.unmount()
        return true
    }()

    init(megabytes: Int, label: String) throws {
        path = label
        try makeDirectories(path)
        let output = try Subprocess(executable: "/bin/mount",
            arguments: ["-t", "tmpfs", "-o", "size=\(megabytes)m", "swsync-test", path], directory: "/",
            outputPrefix: nil).wait()
        guard output.termination == .exited(0) else { throw HarnessError("mount tmpfs on \(path) failed") }
    }

    func unmount() {
        _ = try? Subprocess(executable: "/bin/umount", arguments: [path], directory: "/", outputPrefix: nil).wait()
        rmdir(path)
    }
}

extension Scenario {
    /// `dst/sub` is a symlink to `outside/` (beside the destination); the source has `sub/` with a file,
    /// a symlink and a directory.
    static let dirlinkOutside = Scenario(name: "dirlink-outside") { context in
        try makeSubTree(context)
        try makeDirectories(context.path("outside"))
        try writeFile(context.path("outside/keep"), Array("keep".utf8))
        try makeDirectories(context.path("dst"))
        try makeSymlink(context.path("dst/sub"), to: "../outside")
    }

    /// `dst/sub` is a symlink to `dst/inside/`: -K follows it.
    static let dirlinkInside = Scenario(name: "dirlink-inside") { context in
        try makeSubTree(context)
        try makeDirectories(context.path("dst/inside"))
        try makeSymlink(context.path("dst/sub"), to: "inside")
        try makeDirectories(context.path("src/inside"))
    }

    private static func makeSubTree(_ context: ScenarioContext) throws {
        try makeDirectories(context.path("src/sub/deeper"))
        try writeFile(context.path("src/sub/f"), Array("f".utf8))
        try writeFile(context.path("src/sub/deeper/g"), Array("g".utf8))
        try makeSymlink(context.path("src/sub/link"), to: "f")
    }
}
