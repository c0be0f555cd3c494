import Foundation
import SyncTestSupport
import Testing

/// What a remote run does when the peer or the link fails: rsync's exit codes, a clear message, the
/// partial file kept with `--partial`, and a second run that sends only the rest.
@Suite(
    .tags(.large, .remote),
    .enabled(if: Tools.swsyncAvailable, "swsync binary not built"),
    .enabled(if: RemoteHost.isAvailable, "sshd or ssh not installed (openssh-server, openssh-client)")
)
struct RemoteFaultTests {
    @Test(arguments: RemoteTransport.allCases)
    func peerWithoutSwsyncIsCode127(_ transport: RemoteTransport) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-127")
        try makeDirectories(scratch.path + "/src")
        try writeFile(scratch.path + "/src/f", [1, 2, 3])
        let output = try host.runSwsync(
            ["-a", "--rsync-path=/nonexistent/swsync", scratch.path + "/src/", host.remote(scratch.path + "/dst/")],
            transport: transport, in: scratch.path, outputPrefix: scratch.path + "/out")
        // --rsync-path goes first in runSwsync's options; ours, given later, wins (the last one counts).
        #expect(output.termination == .exited(127), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("remote command not found (code 127)"))
        #expect(fileStatus(scratch.path + "/dst") == nil)
    }

    /// An error that stops the server (its destination cannot be made) reaches the client with the
    /// server's code and message, as rsync's do (not as a closed connection).
    @Test func serverErrorReachesTheClient() throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-abort")
        try makeDirectories(scratch.path + "/src")
        try writeFile(scratch.path + "/src/f", [1])
        let output = try host.runSwsync(["-a", scratch.path + "/src/", host.remote(scratch.path + "/no/such/dst/")],
            transport: .libssh, in: scratch.path, outputPrefix: scratch.path + "/out")
        #expect(output.termination == .exited(11), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("mkdir"), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("No such file or directory"), Comment(rawValue: output.stderrText))
    }

    @Test func stalledPeerTimesOutWithCode30() throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-timeout")
        try makeDirectories(scratch.path + "/src")
        let started = Date()
        let output = try host.runSwsync(
            ["-a", "--timeout=2", "--rsync-path=sleep 60; :", scratch.path + "/src/", host.remote(scratch.path + "/dst/")],
            transport: .libssh, in: scratch.path, outputPrefix: scratch.path + "/out", timeout: 30)
        #expect(output.termination == .exited(30), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("io timeout after 2 seconds -- exiting"))
        #expect(Date().timeIntervalSince(started) < 20)
    }

    /// The sender is killed mid-file: the run fails (12, or 255 when the shell reports the loss), the
    /// partial file stays, and the same command then sends only what is missing.
    @Test(arguments: RemoteTransport.allCases)
    func droppedConnectionResumesFromThePartialFile(_ transport: RemoteTransport) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-drop")
        let source = scratch.path + "/src"
        try makeDirectories(source)
        let size = 16_000_000
        try writeFile(source + "/big.bin", Fixture.content("big.bin", size: size))
        let arguments = ["-a", "--partial", "--stats", host.remote(source + "/"), scratch.path + "/dst/"]
        let firstOutput = OutputBox()
        let done = DispatchSemaphore(value: 0)
        let directory = scratch.path
        DispatchQueue(label: "client").async {
            firstOutput.value = try? host.runSwsync(["--bwlimit=2000"] + arguments, transport: transport,
                in: directory, outputPrefix: directory + "/first", timeout: 60)
            done.signal()
        }
        // Let a few MB arrive (2 MB/s), then kill the peer's sender.
        var partialSize = 0
        for _ in 0..<100 {
            Thread.sleep(forTimeInterval: 0.1)
            partialSize = Self.largestTempFile(in: scratch.path + "/dst")
            if partialSize > 2_000_000 { break }
        }
        let kill = Process()
        kill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        kill.arguments = ["-KILL", "-f", "--", "--server --sender .* \(source)/"]
        try kill.run()
        kill.waitUntilExit()
        done.wait()
        let output = try #require(firstOutput.value)
        #expect([.exited(12), .exited(255)].contains(output.termination), Comment(rawValue: output.stderrText))
        let kept = fileStatus(scratch.path + "/dst/big.bin").map { Int($0.st_size) } ?? 0
        #expect(kept > 1_000_000 && kept < size, "partial file of \(kept) bytes")

        let second = try host.runSwsync(arguments, transport: transport, in: scratch.path,
            outputPrefix: scratch.path + "/second")
        #expect(second.termination == .exited(0), Comment(rawValue: second.stderrText))
        #expect(try readAllBytes(scratch.path + "/dst/big.bin") == readAllBytes(source + "/big.bin"))
        let literal = Self.statsValue("Literal data", in: second.stdoutText) ?? Int.max
        #expect(literal <= size - kept + 64 * 1024, "literal \(literal) after keeping \(kept)")
    }

    /// The built-in client refuses a host it does not know, and a key the server does not accept:
    /// ssh's exit status 255 ("unexplained error" in rsync's words), a clear message, nothing written.
    @Test(arguments: ["unknown host key", "wrong identity"])
    func refusedConnectionIsCode255(_ failure: String) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-refused")
        try makeDirectories(scratch.path + "/src")
        try writeFile(scratch.path + "/src/f", [1, 2, 3])
        var environment = RemoteHost.environment(home: host.home)
        let emptyKnownHosts = scratch.path + "/known_hosts"
        try writeFile(emptyKnownHosts, [])
        var arguments = ["-a", "--rsync-path=\(RemoteHost.absoluteSwsync)"]
        if failure == "unknown host key" {
            environment.append("SWSYNC_SSH_KNOWN_HOSTS=" + emptyKnownHosts)
        } else {
            // A config naming only a key the server does not accept.
            let config = scratch.path + "/config"
            let wrong = host.values["SSHD_WRONG_IDENTITY"] ?? "/nonexistent"
            try writeFile(config, Array("""
                Host \(host.alias)
                    HostName \(host.host)
                    Port \(host.port)
                    User \(host.user)
                    IdentityFile \(wrong)
                    UserKnownHostsFile \(host.knownHosts)

                """.utf8))
            environment = RemoteHost.environment(home: scratch.path) + ["SWSYNC_SSH_CONFIG=" + config]
        }
        arguments += [scratch.path + "/src/", host.remote(scratch.path + "/dst/")]
        let output = try Subprocess(executable: Tools.swsync, arguments: arguments, directory: scratch.path,
            outputPrefix: scratch.path + "/out", environment: environment).wait()
        #expect(output.termination == .exited(255), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains(failure == "unknown host key" ? "host" : "Permission denied"),
            Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("unexplained error (code 255)"))
        #expect(fileStatus(scratch.path + "/dst") == nil)
    }

    /// A file the receiver cannot write is an error for that file only: the rest of the run goes on
    /// (the stream stays in step) and ends with 23, as rsync does. Run as an unprivileged user (root
    /// could write anywhere), with a local stand-in for the remote shell; no sshd needed.
    @Test(.enabled(if: geteuid() == 0, "needs root to switch to an unprivileged user"),
        .enabled(if: Tools.isExecutable("/usr/bin/setpriv"), "setpriv (util-linux) not installed"))
    func unwritableFileDoesNotStopTheRun() throws {
        let scratch = try TemporaryDirectory("remote-unwritable")
        let root = scratch.path
        try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)
        try makeDirectories(root + "/src/a")
        try makeDirectories(root + "/src/b")
        try makeDirectories(root + "/dst/a")
        for name in ["a/f1", "a/f2", "b/f1", "b/f2", "b/f3"] { try writeFile(root + "/src/" + name, Array(name.utf8)) }
        for path in [root, root + "/src", root + "/src/a", root + "/src/b", root + "/dst"] { try changeMode(path, 0o777) }
        try changeMode(root + "/dst/a", 0o555)
        let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        let probe = try Subprocess(executable: asNobody[0], arguments: Array(asNobody.dropFirst()) + ["test", "-x",
            RemoteHost.absoluteSwsync], directory: root, outputPrefix: nil).wait()
        try #require(probe.termination == .exited(0), "the swsync binary is not reachable for uid 65534")
        let output = try Subprocess(executable: asNobody[0],
            arguments: Array(asNobody.dropFirst()) + [RemoteHost.absoluteSwsync, "-r", "-e", root + "/rsh.sh",
                "--rsync-path=\(RemoteHost.absoluteSwsync)", "host:" + root + "/src/", root + "/dst/"],
            directory: root, outputPrefix: root + "/out").wait()
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        #expect(output.stderrText.contains("Permission denied"), Comment(rawValue: output.stderrText))
        for name in ["b/f1", "b/f2", "b/f3"] {
            #expect((try? readAllBytes(root + "/dst/" + name)) == Array(name.utf8), "\(name) not transferred")
        }
    }

    static func largestTempFile(in directory: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return 0 }
        return names.compactMap { fileStatus(directory + "/" + $0).map { Int($0.st_size) } }.max() ?? 0
    }

    static func statsValue(_ label: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(label + ":") {
            let digits = line.filter(\.isNumber)
            return Int(digits)
        }
        return nil
    }
}

/// The first run's output, handed from its thread to the test's (the semaphore orders the two).
final class OutputBox: @unchecked Sendable {
    var value: ProcessOutput?
}
