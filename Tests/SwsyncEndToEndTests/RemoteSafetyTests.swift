import Foundation
import SyncTestSupport
import Testing

import Glibc

/// Issue 11, remote items: user data never reaches the remote shell (rules files and `--files-from` travel
/// in the protocol's setup), `--timeout` counts progress rather than keepalives, a killed server is a closed
/// connection (12), and a file that grows or shrinks while it is sent is sent as it was listed or not at all.
/// Timing-dependent tests pace the run with `--bwlimit` and assert only that it ends within generous limits.
@Suite(
    .tags(.large, .remote),
    .enabled(if: Tools.swsyncAvailable, "swsync binary not built"),
    .enabled(if: RemoteHost.isAvailable, "sshd or ssh not installed (openssh-server, openssh-client)"),
    .enabled(if: !RemoteHost.swsyncRefusesRemote, RemoteHost.refusesRemoteReason)
)
struct RemoteSafetyTests {
    typealias Route = RemoteTransferTests.Route

    static func operands(_ route: Route, host: RemoteHost, source: String, destination: String) -> [String] {
        switch route.direction {
        case .push: return [source + "/", host.remote(destination + "/")]
        case .pull: return [host.remote(source + "/"), destination + "/"]
        }
    }

    /// A scratch directory with `src/NAME`, `size` bytes of fixture data; returns it and the source path.
    static func scratch(_ label: String, file name: String, size: Int) throws -> (TemporaryDirectory, String) {
        let scratch = try TemporaryDirectory(label)
        let source = scratch.path + "/src"
        try makeDirectories(source)
        try writeFile(source + "/" + name, Fixture.content(name, size: size))
        return (scratch, source)
    }

    /// Starts a libssh run of `options` between `source` and `destination` on a client thread, while the
    /// test acts on the trees; the returned closure waits for it and gives its output.
    static func startRun(_ options: [String], _ direction: RemoteTransferTests.Direction, host: RemoteHost,
        source: String, destination: String, in directory: String) -> () -> ProcessOutput?
    {
        let box = OutputBox()
        let done = DispatchSemaphore(value: 0)
        let route = Route(direction: direction, transport: .libssh)
        DispatchQueue(label: "client").async {
            box.value = try? host.runSwsync(options + operands(route, host: host, source: source, destination: destination),
                transport: .libssh, in: directory, outputPrefix: directory + "/swsync", timeout: 120)
            done.signal()
        }
        return {
            done.wait()
            return box.value
        }
    }

    /// Waits, up to a minute, until the temp file of `name` in `directory` holds more than `bytes`.
    static func awaitTemporary(of name: String, in directory: String, beyond bytes: Int) -> Bool {
        for _ in 0..<1200 {
            Thread.sleep(forTimeInterval: 0.05)
            let temporary = (try? directoryEntries(directory))?.first { $0.hasPrefix("." + name + ".") }
            if let temporary, (fileStatus(directory + "/" + temporary)?.st_size ?? 0) > bytes { return true }
        }
        return false
    }

    // MARK: Item 7: rules files and --files-from stay off the remote command line

    /// Names that mean something to a shell; the rules file lists most of them, with a NUL inside a line
    /// (rsync ends the line there: "foo\0bar" excludes foo) and at the start of one (an empty line).
    static let shellNames = ["foo", "foobar", "a$(touch pwned)", "b`id`", "c'q", "d\"q", "plain", "keep", "x y",
        "semi;colon", "star*"]

    /// A scratch directory with `src` (the shell names, at the top and in `sub`) and the path of a marker that
    /// a command reaching a shell would create.
    static func shellScratch(_ label: String) throws -> (scratch: TemporaryDirectory, source: String, marker: String) {
        let scratch = try TemporaryDirectory(label)
        try writeShellTree(scratch.path + "/src")
        return (scratch, scratch.path + "/src", scratch.path + "/pwned")
    }

    static func writeShellTree(_ root: String) throws {
        try makeDirectories(root + "/sub")
        for name in shellNames {
            try writeFile(root + "/" + name, Array(name.utf8))
            try writeFile(root + "/sub/" + name, Array(("sub " + name).utf8))
        }
        try Fixture.freezeTimes(root)
    }

    static func hostileRules(marker: String) -> [UInt8] {
        var rules: [UInt8] = []
        rules += Array("foo".utf8) + [0] + Array("bar\n".utf8)
        rules += Array("$(touch \(marker)-1)\n`touch \(marker)-2`\n".utf8)
        rules += Array("c'q\nd\"q\n".utf8) + [0] + Array("plain\n".utf8)
        rules += Array("a$(touch pwned)\nb`id`\n'unterminated\n\"also\nsemi;colon\r\n# a comment\n".utf8)
        return rules
    }

    /// rsync 3.5.0 exits 0 and copies the same tree; swsync used to put each line on the server's command line,
    /// where the NUL cut the quoting short (exit 12).
    @Test(arguments: RemoteTransferTests.routes)
    func rulesFileWithNulAndShellTextMatchesRsync(_ route: Route) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source, marker) = try Self.shellScratch(
            "remote-rules-\(route.direction.rawValue)-\(route.transport.rawValue)")
        try writeFile(scratch.path + "/rules", Self.hostileRules(marker: marker))
        let arguments = ["-a", "--delete", "--exclude-from=" + scratch.path + "/rules"]

        var trees: [TreeSnapshot] = []
        for tool in ["rsync", "swsync"] where tool == "swsync" || Tools.rsyncAvailable {
            let destination = scratch.path + "/dst-" + tool
            // Extraneous files the rules protect from --delete on the receiving side, and one they do not.
            try makeDirectories(destination)
            try writeFile(destination + "/foo", [1])
            try writeFile(destination + "/stale", [2])
            let operands = Self.operands(route, host: host, source: source, destination: destination)
            let output = tool == "rsync"
                ? try host.runRsync(arguments + operands, in: scratch.path, outputPrefix: scratch.path + "/rsync")
                : try host.runSwsync(arguments + operands, transport: route.transport, in: scratch.path,
                    outputPrefix: scratch.path + "/swsync")
            #expect(output.termination == .exited(0), Comment(rawValue: "\(tool): \(output.stderrText)"))
            trees.append(try TreeSnapshot(destination))
        }
        #expect(!exists(marker + "-1") && !exists(marker + "-2"), "a rule reached a shell")
        let swsync = try #require(trees.last)
        // foo is excluded ("foo\0bar"), so the destination's own foo is protected; plain is not ("\0plain").
        #expect((try? readAllBytes(scratch.path + "/dst-swsync/foo")) == [1])
        #expect(swsync["foobar"] != nil && swsync["plain"] != nil && swsync["keep"] != nil && swsync["c'q"] == nil)
        #expect(swsync["stale"] == nil && swsync["semi;colon"] == nil)
        if trees.count == 2 {
            let differences = TreeComparison.differences(trees[0], trees[1], labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
        }
    }

    /// A pull's `--files-from` names go to the server in the setup (they were command-line words, capped
    /// at 1 MiB); names with quotes, `$(...)` and backticks arrive as names.
    @Test(arguments: RemoteTransport.allCases)
    func pullFilesFromMatchesRsync(_ transport: RemoteTransport) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source, marker) = try Self.shellScratch("remote-files-from-\(transport.rawValue)")
        let list = ["# listed names", "a$(touch pwned)", "b`id`", "c'q", "sub/d\"q", "x y", "$(touch \(marker))",
            "sub/`touch \(marker)`", "missing-but-harmless"].joined(separator: "\n") + "\n"
        try writeFile(scratch.path + "/list", Array(list.utf8))
        let arguments = ["-a", "--files-from=" + scratch.path + "/list", host.remote(source + "/")]

        var trees: [TreeSnapshot] = []
        if Tools.rsyncAvailable {
            let rsync = try host.runRsync(arguments + [scratch.path + "/dst-rsync/"], in: scratch.path,
                outputPrefix: scratch.path + "/rsync")
            // rsync: 23 for the missing name.
            #expect(rsync.termination == .exited(23), Comment(rawValue: rsync.stderrText))
            trees.append(try TreeSnapshot(scratch.path + "/dst-rsync"))
        }
        let output = try host.runSwsync(arguments + [scratch.path + "/dst-swsync/"], transport: transport,
            in: scratch.path, outputPrefix: scratch.path + "/swsync")
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        #expect(!exists(marker), "a listed name reached a shell")
        let swsync = try TreeSnapshot(scratch.path + "/dst-swsync")
        #expect(swsync["a$(touch pwned)"] != nil && swsync["sub/d\"q"] != nil && swsync["foo"] == nil)
        if let rsync = trees.first {
            let differences = TreeComparison.differences(rsync, swsync, labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
        }
    }

    // MARK: --timeout counts progress

    /// A peer that keeps bytes coming without ever completing a frame, or keeps sending keepalives and never
    /// the data asked for: `--timeout=3` ends the run with 30 and rsync's words (the peer goes on for 60 s).
    @Test(arguments: ["stalled-frame", "keepalive-only"])
    func timeoutFiresWithoutProgress(_ scenario: String) throws {
        try #require(HostilePeer.python != nil, "python3 not found")
        let directory = try TemporaryDirectory("remote-timeout-\(scenario)")
        let pull = try HostilePeerTests.pull(scenario, in: directory, options: ["-a", "--timeout=3"])
        let context = "\nstderr: \(pull.output.stderrText)\npeer log:\n\(pull.peerLog)"
        #expect(pull.peerLog.contains("sent hostile"), Comment(rawValue: context))
        #expect(pull.output.termination == .exited(30), Comment(rawValue: "\(pull.output.termination)" + context))
        #expect(pull.output.stderrText.contains("io timeout after 3 seconds -- exiting"), Comment(rawValue: context))
        #expect(pull.seconds < 30, Comment(rawValue: "took \(Int(pull.seconds)) s" + context))
    }

    /// The other side of the rule: a paced run that moves forward all the time outlives a short timeout, even
    /// where one side only hears the other's progress messages (the push client, which sends and is told
    /// nothing until the end).
    @Test(arguments: RemoteTransferTests.routes)
    func pacedRunOutlivesAShortTimeout(_ route: Route) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source) = try Self.scratch("remote-paced-\(route.direction.rawValue)-\(route.transport.rawValue)",
            file: "big.bin", size: 6_000_000)
        let destination = scratch.path + "/dst"
        let output = try host.runSwsync(["-a", "--timeout=2", "--bwlimit=1500"]
            + Self.operands(route, host: host, source: source, destination: destination),
            transport: route.transport, in: scratch.path, outputPrefix: scratch.path + "/swsync", timeout: 120)
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        #expect((try? readAllBytes(destination + "/big.bin")) == Fixture.content("big.bin", size: 6_000_000))
    }

    // MARK: A killed server

    /// rsync 3.5.0, its server killed with SIGKILL mid-pull over `-e ssh`, says "connection unexpectedly
    /// closed (N bytes received so far) [receiver]" and exits 12, or 255 when ssh (which reports the killed
    /// command as 255) happens to have exited before rsync looks: a race. swsync always says 12.
    @Test(arguments: RemoteTransport.allCases)
    func killedServerIsAClosedConnection(_ transport: RemoteTransport) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source) = try Self.scratch("remote-killed-\(transport.rawValue)", file: "big.bin", size: 16_000_000)
        let destination = scratch.path + "/dst"
        let box = OutputBox()
        let done = DispatchSemaphore(value: 0)
        let directory = scratch.path
        DispatchQueue(label: "client").async {
            box.value = try? host.runSwsync(["-a", "--bwlimit=2000", host.remote(source + "/"), destination + "/"],
                transport: transport, in: directory, outputPrefix: directory + "/swsync", timeout: 90)
            done.signal()
        }
        var killed = false
        for _ in 0..<600 where !killed {
            Thread.sleep(forTimeInterval: 0.05)
            guard RemoteFaultTests.largestTempFile(in: destination) > 1_000_000 else { continue }
            if let pid = Self.serverProcess(servingFrom: source + "/") {
                killed = kill(pid, SIGKILL) == 0
            }
        }
        done.wait()
        let output = try #require(box.value)
        try #require(killed, Comment(rawValue: "the server was never found to kill: \(output.stderrText)"))
        #expect(output.termination == .exited(12), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("connection unexpectedly closed ("), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("bytes received so far) [receiver]"), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("error in rsync protocol data stream (code 12)"))
    }

    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The pid of `swsync --server --sender ... PATH` (the binary under test, serving `path`), from /proc.
    static func serverProcess(servingFrom path: String) -> pid_t? {
        guard let names = try? directoryEntries("/proc") else { return nil }
        for name in names {
            guard let pid = pid_t(name), let raw = try? readAllBytes("/proc/\(name)/cmdline") else { continue }
            let argv = raw.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            if argv.first == RemoteHost.absoluteSwsync && argv.contains("--server") && argv.contains("--sender")
                && argv.contains(path)
            {
                return pid
            }
        }
        return nil
    }

    // MARK: Item 2: a file that changes while it is sent

    /// A background writer appends to the file all through a paced run: the run ends, sends the size it
    /// listed (rsync's rule) and exits 0; the copy is that much of the file.
    @Test(arguments: RemoteTransferTests.Direction.allCases)
    func growingFileIsSentAsListed(_ direction: RemoteTransferTests.Direction) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source) = try Self.scratch("remote-grow-\(direction.rawValue)", file: "grow.bin", size: 4_000_000)
        let path = source + "/grow.bin"
        // DataSafetyTests' writer: 64 KiB every few milliseconds, through the whole run.
        let writer = Appender(path: path)
        writer.start()
        Thread.sleep(forTimeInterval: 0.2)
        let destination = scratch.path + "/dst"
        let route = Route(direction: direction, transport: .libssh)
        let output = try host.runSwsync(["-a", "--stats", "--bwlimit=2000"]
            + Self.operands(route, host: host, source: source, destination: destination),
            transport: .libssh, in: scratch.path, outputPrefix: scratch.path + "/swsync", timeout: 120)
        writer.stop()
        let stats = output.stdoutText
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText + stats))
        let listed = try #require(RemoteFaultTests.statsValue("Total file size", in: stats), Comment(rawValue: stats))
        let literal = RemoteFaultTests.statsValue("Literal data", in: stats) ?? Int.max
        let transferred = RemoteFaultTests.statsValue("Total transferred file size", in: stats) ?? Int.max
        #expect(listed >= 4_000_000 && transferred <= listed && literal <= listed + 64 * 1024,
            Comment(rawValue: stats))
        let copied = try readAllBytes(destination + "/grow.bin")
        #expect(copied.count == listed, "copied \(copied.count) bytes of the \(listed) listed")
        #expect(Array(try readAllBytes(path).prefix(copied.count)) == copied, "the copy is not the file's start")
    }

    /// The file is cut short while it is sent: rsync's error for the sender's read, exit 23, the destination
    /// keeps its old version (no temp file left), and --delete-after deletes nothing (rsync's io_error).
    @Test(arguments: RemoteTransferTests.Direction.allCases)
    func shrinkingFileIsNotInstalled(_ direction: RemoteTransferTests.Direction) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source) = try Self.scratch("remote-shrink-\(direction.rawValue)", file: "shrink.bin",
            size: 40_000_000)
        let destination = scratch.path + "/dst"
        try makeDirectories(destination)
        let path = source + "/shrink.bin"
        try writeFile(destination + "/shrink.bin", Array("old\n".utf8))
        try setModificationTime(destination + "/shrink.bin", seconds: 946_684_800)
        try writeFile(destination + "/extra", Array("extra\n".utf8))
        let run = Self.startRun(["-a", "--delete-after", "--bwlimit=4000"], direction, host: host, source: source,
            destination: destination, in: scratch.path)
        // Once data arrives (a temp file beside the old one), cut the source short.
        let truncated = Self.awaitTemporary(of: "shrink.bin", in: destination, beyond: 500_000)
            && truncate(path, 100_000) == 0
        let output = try #require(run())
        try #require(truncated, Comment(rawValue: "no data arrived to truncate during: \(output.stderrText)"))
        let real = Self.realPath(path)
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("swsync: [sender] read errors mapping \"\(real)\": No data available (61)"),
            Comment(rawValue: output.stderrText))
        #expect(try readAllBytes(destination + "/shrink.bin") == Array("old\n".utf8), "the short file was installed")
        #expect(exists(destination + "/extra"), "deleted after a source read error")
        let left = try directoryEntries(destination).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "temp files left: \(left)")
    }

    // MARK: The sender reads only below its root

    /// While a paced run sends a large first file, another directory of the source is swapped for a symlink
    /// to a tree outside it. The sender opens the later file below its root without following any symlink
    /// (openat2 RESOLVE_NO_SYMLINKS), so it reports the file as vanished (exit 24) and never sends the
    /// outside content; by its path, as before, it sent the outside file.
    @Test(arguments: RemoteTransferTests.Direction.allCases)
    func aSourceDirectorySwappedForASymlinkMidRunIsNotFollowed(_ direction: RemoteTransferTests.Direction) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-swap-\(direction.rawValue)")
        let source = scratch.path + "/src"
        try makeDirectories(source + "/a")
        try writeFile(source + "/a/big.bin", Fixture.content("big.bin", size: 24_000_000))
        try makeDirectories(source + "/z")
        try writeFile(source + "/z/f", Array("inside\n".utf8))
        try makeDirectories(scratch.path + "/outside")
        try writeFile(scratch.path + "/outside/f", Array("secret\n".utf8))
        let destination = scratch.path + "/dst"
        let run = Self.startRun(["-a", "--bwlimit=6000"], direction, host: host, source: source,
            destination: destination, in: scratch.path)
        // Once the big file's data arrives (far enough ahead of the sender's read of z/f: the pipes and
        // ssh's window hold a few MB), swap z for a symlink to the outside tree.
        let swapped = Self.awaitTemporary(of: "big.bin", in: destination + "/a", beyond: 1_000_000)
            && rename(source + "/z", source + "/z.old") == 0 && symlink("../outside", source + "/z") == 0
        let output = try #require(run())
        try #require(swapped, Comment(rawValue: "the big file was not seen arriving: \(output.stderrText)"))
        #expect(output.termination == .exited(24), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("file has vanished: \""), Comment(rawValue: output.stderrText))
        let copied = try? readAllBytes(destination + "/z/f")
        #expect(copied != Array("secret\n".utf8), "the sender read through the swapped symlink")
        #expect(try readAllBytes(destination + "/a/big.bin").count == 24_000_000)
    }

    // MARK: Landlock on the server

    /// The server confines itself with Landlock before it touches the tree: a file outside the transfer
    /// cannot be opened (its `SWSYNC_LANDLOCK_PROBE` diagnostic says so), one inside can, and
    /// `--no-landlock` leaves it unconfined. Skipped where the kernel has no Landlock.
    @Test(arguments: RemoteTransferTests.Direction.allCases)
    func theServerIsConfinedToTheTransfer(_ direction: RemoteTransferTests.Direction) throws {
        let host = try RemoteHost.sharedHost()
        let (scratch, source) = try Self.scratch("remote-landlock-\(direction.rawValue)", file: "inside.txt", size: 100)
        try makeDirectories(scratch.path + "/outside")
        try writeFile(scratch.path + "/outside/secret", Array("secret\n".utf8))
        let destination = scratch.path + "/dst"
        let remoteTree = direction == .push ? destination : source
        let route = Route(direction: direction, transport: .libssh)
        func probe(_ path: String, _ extra: [String] = []) throws -> ProcessOutput {
            try host.runSwsync(["-a", "--rsync-path=env SWSYNC_LANDLOCK_PROBE=\(path) \(RemoteHost.absoluteSwsync)"]
                + extra + Self.operands(route, host: host, source: source, destination: destination),
                transport: .libssh, in: scratch.path, outputPrefix: scratch.path + "/swsync")
        }
        let outside = try probe(scratch.path + "/outside/secret", ["-vv"])
        try #require(outside.termination == .exited(0), Comment(rawValue: outside.stderrText))
        // A kernel without Landlock: the server says so with -vv, and the run goes on.
        if outside.stdoutText.contains("landlock: not available on this kernel; the server is not confined") { return }
        #expect(outside.stdoutText.contains("landlock probe: \(scratch.path)/outside/secret: refused"),
            Comment(rawValue: outside.stdoutText))
        let inside = try probe(remoteTree + "/inside.txt")
        #expect(inside.stdoutText.contains("landlock probe: \(remoteTree)/inside.txt: readable"),
            Comment(rawValue: inside.stdoutText))
        let unconfined = try probe(scratch.path + "/outside/secret", ["--no-landlock"])
        #expect(unconfined.termination == .exited(0) && !unconfined.stdoutText.contains("landlock probe"),
            Comment(rawValue: unconfined.stdoutText))
    }
}
