import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a remote run reaches the peer.
enum RemoteTransport: String, Sendable, CaseIterable, CustomTestStringConvertible {
    /// swsync's built-in libssh client, configured by `$HOME/.ssh/config` (a temporary HOME, see `RemoteHost.home`).
    case libssh
    /// `-e 'ssh -F CONFIG'`, as rsync is run.
    case externalSSH

    var testDescription: String { rawValue }
}

/// A private sshd to run remote transfers against: the process-wide one on 127.0.0.1 (`RemoteHost.shared`,
/// started once, stopped at exit), or one behind a slow link (`RemoteHost.withLatencyHost`).
///
/// The peer is this machine, so `alias:/abs/path` names a local path and trees are checked directly. swsync runs
/// with `--rsync-path=<the binary under test>` so the peer runs the same build; rsync runs the installed rsync on
/// both ends. Nothing reads or writes the real `~/.ssh`: ssh gets `-F config`, libssh a temporary HOME.
final class RemoteHost: Sendable {
    /// The start/stop script's directory (keys, configs, pid files).
    let directory: String
    let host: String
    let port: Int
    let user: String
    /// The `Host` name in `config` (swsync-test, or swsync-netem for the latency host).
    let alias: String
    /// ssh client config for `alias` (HostName, Port, User, IdentityFile, UserKnownHostsFile, strict checking).
    let config: String
    let knownHosts: String
    let identity: String
    /// A HOME whose `.ssh/config` defines `alias`, for swsync's libssh transport (also named by SWSYNC_SSH_DIR).
    let home: String
    /// Every KEY=VALUE line the script printed.
    let values: [String: String]

    // MARK: Availability

    static let testSSHDScript = Tools.packageRoot + "/Scripts/lib/test-sshd.sh"
    static let netemHostScript = Tools.packageRoot + "/Scripts/lib/netem-host.sh"

    /// sshd, ssh-keygen and the ssh client are installed (Debian: openssh-server, openssh-client); remote tests
    /// skip otherwise, as the SyncSSH tests do.
    static let isAvailable: Bool = {
        guard Tools.isExecutable("/usr/bin/ssh") || Tools.isExecutable("/bin/ssh") else { return false }
        return runScript(["bash", testSSHDScript, "available"]).map { $0.termination == .exited(0) } ?? false
    }()

    /// Network namespaces, links and a delay method can be set up here (root, `ip netns add` works; see
    /// Scripts/lib/netem-host.sh). Latency tests skip otherwise.
    static let latencyHostAvailable: Bool = {
        guard isAvailable, geteuid() == 0 else { return false }
        return runScript(["bash", netemHostScript, "available"]).map { $0.termination == .exited(0) } ?? false
    }()

    /// The swsync under test refuses remote transfers ("not supported by this build yet"): true until the
    /// remote wiring lands. Remote swsync tests skip while it holds, unless `SWSYNC_REQUIRE_REMOTE=1`.
    static let swsyncRefusesRemote: Bool = {
        if ProcessInfo.processInfo.environment["SWSYNC_REQUIRE_REMOTE"] == "1" { return false }
        guard Tools.swsyncAvailable, let probe = try? TemporaryDirectory("remote-probe") else { return false }
        // A push through `-e false`: an old build refuses the remote operand at once, a wired one starts `false`
        // and fails on the missing hello. Neither touches the network.
        guard (try? makeDirectory(probe.path + "/src")) != nil else { return false }
        let output = try? Subprocess.run(
            Tools.swsync, ["-a", "-e", "false", "src/", "swsync-probe:dst/"], in: probe.path,
            outputPrefix: probe.path + "/probe", timeout: 20)
        return output?.stderrText.contains("remote transfers are not supported") ?? false
    }()

    static let refusesRemoteReason: Comment =
        "this swsync build refuses remote transfers (not wired yet); SWSYNC_REQUIRE_REMOTE=1 runs the test anyway"

    // MARK: The shared sshd on 127.0.0.1

    /// The process-wide sshd, started on first use and stopped when the test process exits.
    static let shared: Result<RemoteHost, any Error> = Result {
        let directory = try makeStateDirectory("swsync-e2e-sshd")
        do {
            let host = try RemoteHost(directory: directory, start: ["bash", testSSHDScript, "start", directory])
            HostRegistry.register(stop: ["bash", testSSHDScript, "stop", directory], directory: directory)
            return host
        } catch {
            _ = runScript(["bash", testSSHDScript, "stop", directory])
            removeTree(directory)
            throw error
        }
    }

    /// The shared sshd, or a thrown harness error saying why it did not start.
    static func sharedHost() throws -> RemoteHost { try shared.get() }

    // MARK: A host behind a slow link

    /// Starts a private sshd in a network namespace of its own, `delayMilliseconds` away in each direction
    /// (round trip 2 x delay; Scripts/lib/netem-host.sh), runs `body`, and always tears it down.
    static func withLatencyHost<R>(delayMilliseconds: Int, _ body: (RemoteHost) throws -> R) throws -> R {
        let directory = try makeStateDirectory("swsync-e2e-netem")
        let stop = ["bash", netemHostScript, "stop", directory]
        HostRegistry.register(stop: stop, directory: directory)
        defer {
            _ = runScript(stop)
            HostRegistry.unregister(directory: directory)
            if ProcessInfo.processInfo.environment["SWSYNC_KEEP_TMP"] == nil { removeTree(directory) }
        }
        let host = try RemoteHost(
            directory: directory, start: ["bash", netemHostScript, "start", directory, "\(delayMilliseconds)"])
        return try body(host)
    }

    // MARK: Running the tools against it

    /// `alias:path`, the remote operand.
    func remote(_ path: String) -> String { alias + ":" + path }

    /// The `-e` value for ssh with our config only.
    var rshCommand: String { "ssh -F \(config)" }

    /// Runs swsync with `arguments` (options and operands; name the remote side with `remote(_:)`), through
    /// `transport`, with the peer running the same binary (`--rsync-path`).
    func runSwsync(
        _ arguments: [String], transport: RemoteTransport, in directory: String, outputPrefix: String?,
        timeout: Double = Subprocess.defaultTimeout
    ) throws -> ProcessOutput {
        var options = ["--rsync-path=\(Self.absoluteSwsync)"]
        var environment = Self.environment(home: nil)
        switch transport {
        case .libssh: environment = Self.environment(home: home)
        case .externalSSH: options += ["-e", rshCommand]
        }
        return try Subprocess(
            executable: Tools.swsync, arguments: options + arguments, directory: directory,
            outputPrefix: outputPrefix, environment: environment
        ).wait(timeout: timeout)
    }

    /// Runs rsync with `-e 'ssh -F config'` and `arguments`; the peer runs the installed rsync.
    func runRsync(
        _ arguments: [String], in directory: String, outputPrefix: String?, timeout: Double = Subprocess.defaultTimeout
    ) throws -> ProcessOutput {
        guard let rsync = Tools.rsync else { throw HarnessError("reference rsync not found") }
        return try Subprocess(
            executable: rsync, arguments: ["-e", rshCommand] + arguments, directory: directory,
            outputPrefix: outputPrefix, environment: Self.environment(home: nil)
        ).wait(timeout: timeout)
    }

    /// The binary under test as an absolute path, for `--rsync-path` (the peer's working directory is HOME).
    static let absoluteSwsync: String = {
        guard let resolved = realpath(Tools.swsync, nil) else { return Tools.swsync }
        defer { free(resolved) }
        return String(cString: resolved)
    }()

    /// The children's environment, without an ssh agent (only our key may be offered) or inherited
    /// `SWSYNC_SSH_*` overrides. With `home`: HOME, and `SWSYNC_SSH_DIR=HOME/.ssh` (SSHOptions.applyEnvironment),
    /// since libssh (0.10) finds `~/.ssh` through getpwuid, not $HOME, as OpenSSH does.
    static func environment(home: String?) -> [String] {
        var environment = Subprocess.childEnvironment.filter {
            !$0.hasPrefix("SSH_AUTH_SOCK=") && !$0.hasPrefix("SSH_AGENT_PID=") && !$0.hasPrefix("SWSYNC_SSH_")
                && (home == nil || !$0.hasPrefix("HOME="))
        }
        if let home { environment += ["HOME=" + home, "SWSYNC_SSH_DIR=" + home + "/.ssh"] }
        return environment
    }

    // MARK: Set-up

    private init(directory: String, start: [String]) throws {
        guard let output = Self.runScript(start, timeout: 120) else {
            throw HarnessError("could not run \(start.joined(separator: " "))")
        }
        guard output.termination == .exited(0) else {
            throw HarnessError("\(start.joined(separator: " ")) ended with \(output.termination): \(output.stderrText)")
        }
        var values: [String: String] = [:]
        for line in output.stdoutText.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        func value(_ key: String) throws -> String {
            guard let value = values[key], !value.isEmpty else {
                throw HarnessError("\(start[1]) printed no \(key): \(output.stdoutText)")
            }
            return value
        }
        self.directory = directory
        self.values = values
        host = try value("SSHD_HOST")
        port = Int(try value("SSHD_PORT")) ?? 0
        user = try value("SSHD_USER")
        alias = try value("SSHD_ALIAS")
        config = try value("SSHD_CONFIG")
        knownHosts = try value("SSHD_KNOWN_HOSTS")
        identity = try value("SSHD_IDENTITY")
        home = directory + "/home"
        try Self.writeLibSSHHome(home, alias: alias, host: host, port: port, user: user, identity: identity,
            knownHosts: knownHosts)
    }

    /// `HOME/.ssh/config` with the options libssh reads (Host, HostName, Port, User, IdentityFile,
    /// UserKnownHostsFile, StrictHostKeyChecking) and an empty `known_hosts` of its own beside it.
    private static func writeLibSSHHome(
        _ home: String, alias: String, host: String, port: Int, user: String, identity: String, knownHosts: String
    ) throws {
        try makeDirectories(home + "/.ssh", mode: 0o700)
        let config = """
            Host \(alias)
                HostName \(host)
                Port \(port)
                User \(user)
                IdentityFile \(identity)
                UserKnownHostsFile \(knownHosts)
                StrictHostKeyChecking yes

            """
        try writeFile(home + "/.ssh/config", Array(config.utf8), mode: 0o600)
        try writeFile(home + "/.ssh/known_hosts", [], mode: 0o600)
    }

    /// A fresh 0700 directory under the ordinary temp dir (sshd wants its files on a real file system path).
    private static func makeStateDirectory(_ label: String) throws -> String {
        var template = Array("\(TemporaryDirectory.diskBase)/\(label).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw posixError("mkdtemp", TemporaryDirectory.diskBase) }
        return String(cString: made)
    }

    /// Runs a helper script; its output goes to files next to nothing the tests look at.
    static func runScript(_ arguments: [String], timeout: Double = 60) -> ProcessOutput? {
        guard let scratch = try? TemporaryDirectory("script", onScratchFileSystem: false) else { return nil }
        return try? Subprocess(
            executable: "/usr/bin/env", arguments: arguments, directory: "/", outputPrefix: scratch.path + "/out"
        ).wait(timeout: timeout)
    }
}

/// The hosts started by this process, stopped at exit: by an `atexit` handler, and, should the process die
/// without running it, by a watchdog shell that waits for this process to go away.
enum HostRegistry {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var stops: [String: [String]] = [:]
    nonisolated(unsafe) private static var installed = false

    static func register(stop: [String], directory: String) {
        lock.withLock {
            stops[directory] = stop
            if !installed {
                installed = true
                atexit { HostRegistry.stopAll() }
            }
        }
        startWatchdog(stop: stop, directory: directory)
    }

    static func unregister(directory: String) {
        _ = lock.withLock { stops.removeValue(forKey: directory) }
    }

    static func stopAll() {
        let pending = lock.withLock {
            defer { stops = [:] }
            return stops
        }
        for (directory, stop) in pending {
            _ = RemoteHost.runScript(stop)
            if ProcessInfo.processInfo.environment["SWSYNC_KEEP_TMP"] == nil { removeTree(directory) }
        }
    }

    /// `bash -c 'while kill -0 OUR_PID; do sleep 1; done; STOP; rm -rf DIR'` in the background, so that a test
    /// process killed by a signal (no atexit) leaves no sshd, namespace or delay line behind.
    private static func startWatchdog(stop: [String], directory: String) {
        let quoted = stop.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        // It ignores the signals a Ctrl-C or a runner's time-out sends the whole process group.
        let script = "trap '' INT HUP TERM; while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; "
            + quoted.joined(separator: " ") + " >/dev/null 2>&1; "
            + (ProcessInfo.processInfo.environment["SWSYNC_KEEP_TMP"] == nil
                ? "rm -rf '\(directory.replacingOccurrences(of: "'", with: "'\\''"))'" : "true")
        _ = try? Subprocess(executable: "/bin/bash", arguments: ["-c", script], directory: "/", outputPrefix: nil)
    }
}

extension Trait where Self == ConditionTrait {
    /// A remote run compared with rsync run the same way: the swsync binary, rsync, and the programs
    /// the test sshd needs.
    static var remoteAgainstRsync: Self {
        .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable && RemoteHost.isAvailable,
            "needs the swsync binary, rsync, and openssh-server/openssh-client")
    }
}
