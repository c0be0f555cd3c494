import Foundation
import SyncTestSupport
import Testing

@testable import SyncSSH

/// Sends `payload` from a second thread while this one reads stdout to the end; returns stdout and exit status.
func exchange(_ transport: some RemoteTransport, _ payload: [UInt8]) throws -> (output: [UInt8], status: Int32) {
    let writer = onThread { () -> String? in
        defer { transport.closeWrite() }
        do {
            try transport.write(payload)
            return nil
        } catch {
            return "\(error)"
        }
    }
    let output = try transport.readToEnd()
    let writeError = writer()
    let status = transport.waitForExit()
    if let writeError { throw TestSSHDError("write failed: \(writeError)") }
    return (output, status)
}

/// Runs a remote command with no input; returns stdout, stderr lines and exit status.
func runRemote(_ transport: some RemoteTransport, _ errors: LineCollector) throws -> (String, [String], Int32) {
    transport.closeWrite()
    let output = try transport.readToEnd()
    let status = transport.waitForExit()
    return (String(decoding: output, as: UTF8.self), errors.lines, status)
}

let hello = Array("hello\n".utf8)

// MARK: - libssh

@Suite(
    "libssh transport", .tags(.large, .sshd), .serialized,
    .enabled(if: TestSSHD.isAvailable, "sshd/ssh-keygen not installed (apt-get install openssh-server)"))
struct SSHTransportTests {
    @Test("a few MiB round-trip through `echo hello; cat`")
    func roundTrip() throws {
        try TestSSHD.with { sshd in
            let payload = patternBytes(count: 3 << 20)
            let transport = try SSHTransport(options: sshd.options(), remoteCommand: ["echo hello; cat"])
            let (output, status) = try exchange(transport, payload)
            #expect(status == 0)
            #expect(output.count == hello.count + payload.count)
            #expect(output == hello + payload)
        }
    }

    @Test("exit statuses come back: 0, 3, 127 for a missing command")
    func exitStatuses() throws {
        try TestSSHD.with { sshd in
            for (command, expected) in [("true", Int32(0)), ("exit 3", 3), ("swsync-no-such-command --server", 127)] {
                let errors = LineCollector()
                let transport = try SSHTransport(
                    options: sshd.options(), remoteCommand: [command], stderr: .lines(errors.append))
                let (_, lines, status) = try runRemote(transport, errors)
                #expect(status == expected, "\(command)")
                if expected == 127 {
                    #expect(lines.contains { $0.contains("not found") }, "\(lines)")
                }
            }
        }
    }

    @Test("a command killed by a signal sends no exit status: 255, as ssh exits")
    func killedBySignal() throws {
        try TestSSHD.with { sshd in
            let transport = try SSHTransport(options: sshd.options(), remoteCommand: ["kill -TERM $$"])
            let (_, _, status) = try runRemote(transport, LineCollector())
            #expect(status == 255)
        }
    }

    @Test("stderr arrives line by line, stdout stays separate")
    func stderrLines() throws {
        try TestSSHD.with { sshd in
            let errors = LineCollector()
            let transport = try SSHTransport(
                options: sshd.options(), remoteCommand: ["echo out; echo one >&2; echo two >&2; printf three >&2"],
                stderr: .lines(errors.append))
            let (output, lines, status) = try runRemote(transport, errors)
            #expect(output == "out\n")
            #expect(lines == ["one", "two", "three"])
            #expect(status == 0)
        }
    }

    @Test("Host alias, HostName, Port, User, IdentityFile and UserKnownHostsFile come from the ssh config")
    func configAlias() throws {
        try TestSSHD.with { sshd in
            let transport = try SSHTransport(
                options: sshd.options(viaAlias: true), remoteCommand: ["echo", "via", "alias"])
            let (output, _, status) = try runRemote(transport, LineCollector())
            #expect(output == "via alias\n")
            #expect(status == 0)
        }
    }

    @Test("the config is found in the ssh directory when none is named (stand-in for ~/.ssh/config)")
    func configInSSHDirectory() throws {
        try TestSSHD.with { sshd in
            let home = sshd.directory + "/home-ssh"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: sshd.config, toPath: home + "/config")
            var options = SSHOptions(host: sshd.alias)
            options.sshDirectory = home
            let transport = try SSHTransport(options: options, remoteCommand: ["echo ok"])
            let (output, _, status) = try runRemote(transport, LineCollector())
            #expect(output == "ok\n" && status == 0)
        }
    }

    @Test("async connect does not block the pool and gives the same stream")
    func asyncConnect() async throws {
        let payload = patternBytes(count: 256 << 10)
        try await TestSSHD.withAsync { sshd in
            let transport = try await SSHTransport.connect(options: sshd.options(), remoteCommand: ["cat"])
            let result = onThread { Result { try exchange(transport, payload) } }
            let (output, status) = try result().get()
            #expect(output == payload)
            #expect(status == 0)
        }
    }

    @Test("an unknown host key is refused, never accepted")
    func unknownHostKey() throws {
        try TestSSHD.with { sshd in
            var options = sshd.options()
            options.knownHostsFile = try sshd.write("empty_known_hosts", "")
            let error = try #require(throws: TransportError.self) {
                try SSHTransport(options: options, remoteCommand: ["true"])
            }
            #expect(error.code == .hostKeyUnknown)
            #expect(error.exitCode == 255)
            #expect(error.message.contains("No ED25519 host key is known for [127.0.0.1]:\(sshd.port)"))
            #expect(error.message.hasSuffix("Host key verification failed."))
            // Nothing was written to known_hosts.
            #expect(try String(contentsOfFile: options.knownHostsFile!, encoding: .utf8).isEmpty)

            // A missing known_hosts file is the same refusal.
            options.knownHostsFile = sshd.directory + "/does-not-exist"
            #expect(throws: TransportError.self) { try SSHTransport(options: options, remoteCommand: ["true"]) }
        }
    }

    @Test("a changed host key is refused with ssh's warning")
    func changedHostKey() throws {
        try TestSSHD.with { sshd in
            let otherKey = try String(contentsOfFile: sshd.otherHostKey, encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            var options = sshd.options()
            options.knownHostsFile = try sshd.write("wrong_known_hosts", "[127.0.0.1]:\(sshd.port) \(otherKey)\n")
            let error = try #require(throws: TransportError.self) {
                try SSHTransport(options: options, remoteCommand: ["true"])
            }
            #expect(error.code == .hostKeyChanged)
            #expect(error.exitCode == 255)
            #expect(error.message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            #expect(error.message.contains("SHA256:"))
        }
    }

    @Test("a key the server does not accept fails authentication with 255")
    func wrongIdentity() throws {
        try TestSSHD.with { sshd in
            var options = sshd.options()
            options.identityFiles = [sshd.wrongIdentity]
            let error = try #require(throws: TransportError.self) {
                try SSHTransport(options: options, remoteCommand: ["true"])
            }
            #expect(error.code == .authenticationFailed)
            #expect(error.exitCode == 255)
            #expect(error.message == "\(sshd.user)@127.0.0.1: Permission denied (publickey).")
        }
    }

    @Test("nothing listening: connect fails with 255")
    func connectionRefused() throws {
        var options = SSHOptions(host: "127.0.0.1", port: try closedLoopbackPort())
        options.config = .none
        options.sshDirectory = try TestSSHD.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: options.sshDirectory!) }
        let error = try #require(throws: TransportError.self) {
            try SSHTransport(options: options, remoteCommand: ["true"])
        }
        #expect(error.code == .connectFailed)
        #expect(error.exitCode == 255)
        #expect(error.message.hasPrefix("ssh: connect to host 127.0.0.1 port \(options.port!):"))
    }

    @Test("--contimeout: a peer that never answers gives exit 35")
    func connectTimeout() throws {
        let listener = try SilentListener()
        var options = SSHOptions(host: "127.0.0.1", port: listener.port)
        options.config = .none
        options.connectTimeout = 1
        options.sshDirectory = try TestSSHD.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: options.sshDirectory!) }
        let started = Date()
        let error = try #require(throws: TransportError.self) {
            try SSHTransport(options: options, remoteCommand: ["true"])
        }
        #expect(error.code == .connectTimeout, "\(error)")
        #expect(error.exitCode == 35)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("writing after the remote command exited fails instead of hanging")
    func writeAfterExit() throws {
        try TestSSHD.with { sshd in
            let transport = try SSHTransport(options: sshd.options(), remoteCommand: ["exit 0"])
            #expect(try transport.readToEnd().isEmpty)
            #expect(transport.waitForExit() == 0)
            #expect(throws: TransportError.self) { try transport.write(hello) }
        }
    }
}

// MARK: - external remote shell (-e / RSYNC_RSH)

@Suite(
    "-e ssh transport", .tags(.large, .sshd), .serialized,
    .enabled(if: TestSSHD.isAvailable && TestSSHD.sshClientAvailable, "sshd or ssh not installed"))
struct ExternalSSHTransportTests {
    @Test("round trip, exit statuses and stderr through `ssh -p PORT -i KEY ...`")
    func roundTripAndStatuses() throws {
        try TestSSHD.with { sshd in
            let payload = patternBytes(count: 2 << 20)
            let transport = try RemoteShellTransport(
                command: sshd.rshCommand(), user: sshd.user, host: "127.0.0.1", remoteCommand: ["echo hello; cat"])
            let (output, status) = try exchange(transport, payload)
            #expect(status == 0)
            #expect(output == hello + payload)

            for (command, expected) in [("exit 3", Int32(3)), ("swsync-no-such-command", 127)] {
                let errors = LineCollector()
                let transport = try RemoteShellTransport(
                    command: sshd.rshCommand(), user: sshd.user, host: "127.0.0.1", remoteCommand: [command],
                    stderr: .lines(errors.append))
                let (_, _, status) = try runRemote(transport, errors)
                #expect(status == expected, "\(command)")
            }

            let errors = LineCollector()
            let noisy = try RemoteShellTransport(
                command: sshd.rshCommand(), user: sshd.user, host: "127.0.0.1",
                remoteCommand: ["echo out; echo err1 >&2; echo err2 >&2"], stderr: .lines(errors.append))
            let (out, lines, noisyStatus) = try runRemote(noisy, errors)
            #expect(out == "out\n" && lines == ["err1", "err2"] && noisyStatus == 0)
        }
    }

    @Test("ssh refuses an unknown host key with 255; a wrong key fails with 255")
    func refusals() throws {
        try TestSSHD.with { sshd in
            let empty = try sshd.write("empty_known_hosts", "")
            let errors = LineCollector()
            let transport = try RemoteShellTransport(
                command: sshd.rshCommand(knownHosts: empty), user: sshd.user, host: "127.0.0.1",
                remoteCommand: ["true"], stderr: .lines(errors.append))
            let (_, lines, status) = try runRemote(transport, errors)
            #expect(status == 255)
            #expect(lines.contains { $0.contains("Host key verification failed") }, "\(lines)")

            let denied = LineCollector()
            let wrongKey = try RemoteShellTransport(
                command: sshd.rshCommand(identity: sshd.wrongIdentity), user: sshd.user, host: "127.0.0.1",
                remoteCommand: ["true"], stderr: .lines(denied.append))
            let (_, deniedLines, deniedStatus) = try runRemote(wrongKey, denied)
            #expect(deniedStatus == 255)
            #expect(deniedLines.contains { $0.contains("Permission denied") }, "\(deniedLines)")
        }
    }
}

@Suite("-e transport without sshd", .tags(.medium))
struct LocalShellTransportTests {
    @Test("a local command stands in for the remote shell: bytes, status, stderr")
    func localCommand() throws {
        let payload = patternBytes(count: 1 << 20)
        let transport = try RemoteShellTransport(
            arguments: ["sh", "-c", "cat; echo bye >&2; exit 5"],
            stderr: .lines(LineCollector().append))
        let (output, status) = try exchange(transport, payload)
        #expect(output == payload)
        #expect(status == 5)
    }

    @Test("a missing -e program is rsync's exec failure, exit 14")
    func missingProgram() {
        let error = #expect(throws: TransportError.self) {
            try RemoteShellTransport(command: "swsync-no-such-rsh -x", host: "h", remoteCommand: ["true"])
        }
        #expect(error?.code == .spawnFailed)
        #expect(error?.exitCode == 14)
        #expect(error?.message == "Failed to exec swsync-no-such-rsh: No such file or directory (2)")
    }

    @Test("a remote shell killed by a signal ends with rsync's 16")
    func killedBySignal() throws {
        let transport = try RemoteShellTransport(arguments: ["sh", "-c", "kill -TERM $$"])
        transport.closeWrite()
        #expect(try transport.readToEnd().isEmpty)
        #expect(transport.waitForExit() == 16)
    }

    @Test("the child sees -l user and the host as separate words, like rsync's do_cmd builds them")
    func argumentsReachTheChild() throws {
        let transport = try RemoteShellTransport(
            command: "printf '%s|'", user: "alice", host: "example.org", remoteCommand: ["swsync", "--server"])
        transport.closeWrite()
        #expect(String(decoding: try transport.readToEnd(), as: UTF8.self) == "-l|alice|example.org|swsync|--server|")
        #expect(transport.waitForExit() == 0)
    }

    @Test("writing to a shell that exited is an error, not SIGPIPE")
    func writeAfterExit() throws {
        let transport = try RemoteShellTransport(arguments: ["true"])
        #expect(transport.waitForExit() == 0)
        #expect(throws: TransportError.self) {
            for _ in 0..<64 { try transport.write(patternBytes(count: 64 << 10)) }
        }
    }
}
