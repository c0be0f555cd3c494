import Foundation
import Testing

@testable import SyncSSH

/// A private sshd on 127.0.0.1 at a free port, with its own keys, known_hosts and client config, all in a
/// temporary directory (Scripts/lib/test-sshd.sh). The real `~/.ssh` is never read or written: every client
/// option points into `directory`.
final class TestSSHD {
    let directory: String
    let port: Int
    let user: String
    /// 127.0.0.1
    let host: String
    /// `swsync-test`, defined in `config`.
    let alias: String
    let config: String
    let knownHosts: String
    let identity: String
    let wrongIdentity: String
    let otherHostKey: String
    /// An empty directory used as `~/.ssh`, so libssh's default keys and config are not the real ones.
    let emptySSHDirectory: String

    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Support, SyncSSHTests, Tests, (file)
        return url.path
    }()

    static let script = repositoryRoot + "/Scripts/lib/test-sshd.sh"

    /// sshd and ssh-keygen are installed (Debian: openssh-server, openssh-client); tests skip otherwise.
    static let isAvailable: Bool = {
        guard let transport = try? RemoteShellTransport(arguments: ["bash", script, "available"]) else { return false }
        transport.closeWrite()
        _ = try? transport.readToEnd()
        return transport.waitForExit() == 0
    }()

    /// ssh (the client) is installed, for the `-e ssh ...` tests.
    static let sshClientAvailable: Bool = FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")

    /// Starts an sshd in `directory` (which `stop()` removes).
    init(startingIn directory: String) throws {
        self.directory = directory
        let output: String
        do {
            output = try Self.run(["bash", Self.script, "start", directory])
        } catch {
            Self.stop(directory)
            throw error
        }
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        func value(_ key: String) throws -> String {
            guard let value = values[key] else { throw TestSSHDError("test-sshd.sh printed no \(key): \(output)") }
            return value
        }
        port = Int(try value("SSHD_PORT")) ?? 0
        user = try value("SSHD_USER")
        host = try value("SSHD_HOST")
        alias = try value("SSHD_ALIAS")
        config = try value("SSHD_CONFIG")
        knownHosts = try value("SSHD_KNOWN_HOSTS")
        identity = try value("SSHD_IDENTITY")
        wrongIdentity = try value("SSHD_WRONG_IDENTITY")
        otherHostKey = try value("SSHD_OTHER_HOST_KEY")
        emptySSHDirectory = directory + "/empty-ssh-dir"
        try FileManager.default.createDirectory(atPath: emptySSHDirectory, withIntermediateDirectories: true)
    }

    /// Starts an sshd, runs `body`, and always stops it and removes its directory.
    static func with<R>(_ body: (TestSSHD) throws -> R) throws -> R {
        let server = try TestSSHD(startingIn: try makeTemporaryDirectory())
        defer { server.stop() }
        return try body(server)
    }

    /// `with` for async bodies.
    static func withAsync(_ body: (TestSSHD) async throws -> Void) async throws {
        let server = try TestSSHD(startingIn: try makeTemporaryDirectory())
        do {
            try await body(server)
        } catch {
            server.stop()
            throw error
        }
        server.stop()
    }

    /// Stops the sshd and removes its directory (kept when `SWSYNC_KEEP_TMP` is set).
    func stop() { Self.stop(directory) }

    private static func stop(_ directory: String) {
        _ = try? run(["bash", script, "stop", directory])
        if ProcessInfo.processInfo.environment["SWSYNC_KEEP_TMP"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Options for the libssh transport that read nothing from the real `~/.ssh` or `/etc/ssh/ssh_config`.
    func options(viaAlias: Bool = false) -> SSHOptions {
        var options = SSHOptions(
            host: viaAlias ? alias : host, user: viaAlias ? nil : user, port: viaAlias ? nil : port)
        options.sshDirectory = emptySSHDirectory
        if viaAlias {
            options.config = .file(config)
        } else {
            options.config = .none
            options.knownHostsFile = knownHosts
            options.identityFiles = [identity]
        }
        return options
    }

    /// The `-e` string for the external-ssh tests: no user config, strict host-key checking, our key only.
    func rshCommand(knownHosts: String? = nil, identity: String? = nil) -> String {
        [
            "ssh", "-F", "/dev/null", "-p", "\(port)", "-i", identity ?? self.identity,
            "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=\(knownHosts ?? self.knownHosts)",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "'LogLevel=ERROR'",
        ].joined(separator: " ")
    }

    /// A file in the server directory.
    func write(_ name: String, _ contents: String) throws -> String {
        let path = directory + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func makeTemporaryDirectory() throws -> String {
        var template = Array("\(NSTemporaryDirectory())/swsync-sshd.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw TestSSHDError("mkdtemp failed: \(errno)") }
        return String(cString: made)
    }

    /// Runs a local command, returns its stdout, throws on a non-zero exit (stderr in the message).
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let errors = LineCollector()
        let transport = try RemoteShellTransport(arguments: arguments, stderr: .lines(errors.append))
        transport.closeWrite()
        let output = try transport.readToEnd()
        let status = transport.waitForExit()
        guard status == 0 else {
            throw TestSSHDError("\(arguments.joined(separator: " ")) exited \(status): \(errors.text)")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

struct TestSSHDError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Collects stderr lines from a transport's thread.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    var lines: [String] { lock.withLock { collected } }
    var text: String { lines.joined(separator: "\n") }

    func append(_ line: [UInt8]) {
        let text = String(decoding: line, as: UTF8.self)
        lock.withLock { collected.append(text) }
    }
}

/// Written by one thread before `pthread_join`, read after it.
final class ThreadResult<T>: @unchecked Sendable {
    var value: T?
}

/// Runs `body` on its own pthread (not the concurrency pool) and returns a function that joins it.
func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> () -> T {
    let slot = ThreadResult<T>()
    let thread = startThread(join: true) { slot.value = body() }
    return {
        if let thread { pthread_join(thread, nil) }
        return slot.value!
    }
}

/// Deterministic pseudo-random bytes (so a corrupted round trip shows up).
func patternBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
