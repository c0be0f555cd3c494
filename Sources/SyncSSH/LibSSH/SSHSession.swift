internal import CLibSSH
import Glibc
import SyncCore

/// `ssh_init()` once per process (libssh also does it from a constructor when linked shared; this is harmless).
private let libraryInitialized: Int32 = ssh_init()

/// Owns one `ssh_session`: disconnects and frees it in `deinit`. Used by one thread only (the transport's pump
/// thread); libssh sessions are not safe to share between threads.
final class SSHSession {
    let handle: OpaquePointer

    init() throws(TransportError) {
        _ = libraryInitialized
        guard let handle = ssh_new() else {
            throw TransportError(.connectFailed, "ssh_new failed: out of memory", exitCode: 22)
        }
        self.handle = handle
    }

    deinit {
        if ssh_is_connected(handle) != 0 {
            ssh_disconnect(handle)
        }
        ssh_free(handle)
    }

    /// libssh's text for the last error on this session.
    var lastError: String {
        guard let text = ssh_get_error(UnsafeMutableRawPointer(handle)) else { return "unknown error" }
        return String(cString: text)
    }

    func set(_ option: ssh_options_e, _ value: String) -> Bool {
        ssh_options_set(handle, option, value) == SSH_OK
    }

    func set(_ option: ssh_options_e, _ value: inout Int32) -> Bool {
        ssh_options_set(handle, option, &value) == SSH_OK
    }

    func set(_ option: ssh_options_e, _ value: inout UInt32) -> Bool {
        ssh_options_set(handle, option, &value) == SSH_OK
    }

    func set(_ option: ssh_options_e, _ value: inout Int) -> Bool {
        ssh_options_set(handle, option, &value) == SSH_OK
    }

    /// A string option as libssh resolved it (host after `HostName`, user, known_hosts path).
    func get(_ option: ssh_options_e) -> String? {
        var value: UnsafeMutablePointer<CChar>? = nil
        guard ssh_options_get(handle, option, &value) == SSH_OK, let value else { return nil }
        defer { ssh_string_free_char(value) }
        return String(cString: value)
    }

    var port: UInt32 {
        var port: UInt32 = 22
        _ = ssh_options_get_port(handle, &port)
        return port
    }
}

/// Owns one `ssh_channel` (and keeps its session alive): frees it in `deinit`.
final class SSHChannel {
    let handle: OpaquePointer
    let session: SSHSession

    init(session: SSHSession) throws(TransportError) {
        guard let handle = ssh_channel_new(session.handle) else {
            throw TransportError(
                .channelFailed, "ssh: cannot create a channel: \(session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
        }
        self.handle = handle
        self.session = session
    }

    deinit {
        ssh_channel_free(handle)
    }
}

/// Connects, verifies the host key, authenticates and starts the remote command: everything that blocks before
/// the byte stream exists. Runs on the transport's own thread.
enum SSHConnector {
    static func open(_ options: SSHOptions, command: String) throws(TransportError) -> SSHChannel {
        let session = try SSHSession()
        try configure(session, options)
        let host = session.get(SSH_OPTIONS_HOST) ?? options.host
        let port = session.port

        if let family = options.addressFamily {
            var descriptor = try AddressFamilySocket.connect(host: host, port: port, family: family,
                timeoutSeconds: options.connectTimeout)
            guard session.set(SSH_OPTIONS_FD, &descriptor) else {
                _ = close(descriptor)
                throw TransportError(.connectFailed, "ssh: cannot use the connected socket: \(session.lastError)",
                    exitCode: TransportError.sshFailureExitCode)
            }
        }
        let started = monotonicSeconds()
        if ssh_connect(session.handle) != SSH_OK {
            let text = session.lastError
            let elapsed = monotonicSeconds() - started
            if let limit = options.connectTimeout,
                text.lowercased().contains("timeout") || text.lowercased().contains("timed out")
                    || elapsed >= Double(limit) - 0.05
            {
                throw TransportError(
                    .connectTimeout, "ssh: connect to host \(host) port \(port): timed out after \(limit)s (\(text))",
                    exitCode: ExitStatus.connectTimeout.rawValue)
            }
            throw TransportError(
                .connectFailed, "ssh: connect to host \(host) port \(port): \(text)",
                exitCode: TransportError.sshFailureExitCode)
        }
        try verifyHostKey(session, host: host, port: port)
        try authenticate(session, host: host)

        let channel = try SSHChannel(session: session)
        if ssh_channel_open_session(channel.handle) != SSH_OK {
            throw TransportError(
                .channelFailed, "ssh: cannot open a session channel on \(host): \(session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
        }
        if ssh_channel_request_exec(channel.handle, command) != SSH_OK {
            throw TransportError(
                .channelFailed, "ssh: \(host) refused to run the remote command: \(session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
        }
        return channel
    }

    /// Host, then the ssh config (it may rewrite the host with `HostName`), then what the caller set explicitly,
    /// which wins as `ssh -l`/`-p`/`-i`/`-o UserKnownHostsFile` win over the config.
    private static func configure(_ session: SSHSession, _ options: SSHOptions) throws(TransportError) {
        func fail(_ what: String) -> TransportError {
            TransportError(
                .connectFailed, "ssh: cannot set \(what): \(session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
        }
        var verbosity = options.logVerbosity
        guard session.set(SSH_OPTIONS_LOG_VERBOSITY, &verbosity) else { throw fail("the log level") }
        if let directory = options.sshDirectory {
            guard session.set(SSH_OPTIONS_SSH_DIR, directory) else { throw fail("the ssh directory \(directory)") }
        }
        guard session.set(SSH_OPTIONS_HOST, options.host) else { throw fail("the host \(options.host)") }
        switch options.config {
        case .none:
            var no: Int32 = 0
            guard session.set(SSH_OPTIONS_PROCESS_CONFIG, &no) else { throw fail("config processing") }
        case .defaultFiles, .file:
            let path: String? = if case .file(let path) = options.config { path } else { nil }
            if let path, access(path, R_OK) != 0 {
                throw TransportError(
                    .connectFailed, "ssh: cannot read the ssh config \(path): \(errnoText(errno))",
                    exitCode: TransportError.sshFailureExitCode)
            }
            if ssh_options_parse_config(session.handle, path) != SSH_OK {
                throw TransportError(
                    .connectFailed, "ssh: cannot parse the ssh config \(path ?? "~/.ssh/config"): \(session.lastError)",
                    exitCode: TransportError.sshFailureExitCode)
            }
        }
        if let user = options.user {
            guard session.set(SSH_OPTIONS_USER, user) else { throw fail("the user \(user)") }
        }
        if let port = options.port {
            var value = UInt32(port)
            guard session.set(SSH_OPTIONS_PORT, &value) else { throw fail("the port \(port)") }
        }
        if let file = options.knownHostsFile {
            guard session.set(SSH_OPTIONS_KNOWNHOSTS, file) else { throw fail("the known_hosts file \(file)") }
        }
        for identity in options.identityFiles {
            guard session.set(SSH_OPTIONS_ADD_IDENTITY, identity) else { throw fail("the identity \(identity)") }
        }
        if let seconds = options.connectTimeout {
            var value = seconds
            guard session.set(SSH_OPTIONS_TIMEOUT, &value) else { throw fail("the connect timeout") }
        }
    }

    /// ssh's checks with StrictHostKeyChecking=yes: a key that is unknown, changed, or of another type than the
    /// recorded one is refused with ssh's words; nothing is ever added to known_hosts.
    private static func verifyHostKey(_ session: SSHSession, host: String, port: UInt32) throws(TransportError) {
        let label = port == 22 ? host : "[\(host)]:\(port)"
        let knownHosts = session.get(SSH_OPTIONS_KNOWNHOSTS) ?? "~/.ssh/known_hosts"
        var key: OpaquePointer? = nil
        guard ssh_get_server_publickey(session.handle, &key) == SSH_OK, let key else {
            throw TransportError(
                .hostKeyCheckFailed,
                "ssh: \(label) sent no host key: \(session.lastError)\nHost key verification failed.",
                exitCode: TransportError.sshFailureExitCode)
        }
        defer { ssh_key_free(key) }
        let keyName = sshKeyName(key)
        let fingerprint = sha256Fingerprint(key) ?? "(unknown fingerprint)"

        let state = ssh_session_is_known_server(session.handle)
        let message: String
        let code: TransportError.Code
        switch state {
        case SSH_KNOWN_HOSTS_OK:
            return
        case SSH_KNOWN_HOSTS_UNKNOWN, SSH_KNOWN_HOSTS_NOT_FOUND:
            code = .hostKeyUnknown
            message = """
                No \(keyName) host key is known for \(label) in \(knownHosts), and swsync never accepts an \
                unknown host key.
                The \(keyName) key fingerprint is \(fingerprint).
                If that is the right key, add it to \(knownHosts) (for example by connecting once with ssh).
                Host key verification failed.
                """
        case SSH_KNOWN_HOSTS_CHANGED:
            code = .hostKeyChanged
            message = """
                @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
                @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
                @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
                IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
                Someone could be eavesdropping on you right now (man-in-the-middle attack)!
                It is also possible that a host key has just been changed.
                The fingerprint for the \(keyName) key sent by the remote host is
                \(fingerprint).
                Please contact your system administrator.
                Add correct host key in \(knownHosts) to get rid of this message.
                Host key for \(label) has changed and you have requested strict checking.
                Host key verification failed.
                """
        case SSH_KNOWN_HOSTS_OTHER:
            code = .hostKeyChanged
            message = """
                The \(keyName) host key for \(label) is not in \(knownHosts), but a key of another type is.
                An attacker might change the default server key to confuse your client into thinking the key \
                does not exist.
                The \(keyName) key fingerprint is \(fingerprint).
                Host key verification failed.
                """
        default:
            code = .hostKeyCheckFailed
            message = """
                Cannot check the host key of \(label) against \(knownHosts): \(session.lastError)
                Host key verification failed.
                """
        }
        throw TransportError(code, message, exitCode: TransportError.sshFailureExitCode)
    }

    /// `ssh_userauth_publickey_auto`: ssh-agent, then the default keys and IdentityFile entries.
    private static func authenticate(_ session: SSHSession, host: String) throws(TransportError) {
        let rc = ssh_userauth_publickey_auto(session.handle, nil, nil)
        if rc == SSH_AUTH_SUCCESS.rawValue { return }
        let user = session.get(SSH_OPTIONS_USER) ?? "?"
        if rc == SSH_AUTH_ERROR.rawValue {
            throw TransportError(
                .authenticationFailed, "ssh: authentication with \(host) failed: \(session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
        }
        let methods = methodNames(ssh_userauth_list(session.handle, nil))
        let partial = rc == SSH_AUTH_PARTIAL.rawValue ? " (partial success; swsync only does publickey)" : ""
        throw TransportError(
            .authenticationFailed, "\(user)@\(host): Permission denied (\(methods))\(partial).",
            exitCode: TransportError.sshFailureExitCode)
    }

    private static func methodNames(_ mask: Int32) -> String {
        let names: [(UInt32, String)] = [
            (SSH_AUTH_METHOD_PUBLICKEY, "publickey"), (SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic"),
            (SSH_AUTH_METHOD_HOSTBASED, "hostbased"), (SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive"),
            (SSH_AUTH_METHOD_PASSWORD, "password"),
        ]
        let list = names.filter { UInt32(bitPattern: mask) & $0.0 != 0 }.map(\.1)
        return list.isEmpty ? "publickey" : list.joined(separator: ",")
    }

    /// ssh's short key names: "ED25519", "ECDSA", "RSA".
    private static func sshKeyName(_ key: OpaquePointer) -> String {
        guard let name = ssh_key_type_to_char(ssh_key_type(key)) else { return "host" }
        let type = String(cString: name)
        if type.contains("ed25519") { return "ED25519" }
        if type.contains("ecdsa") { return "ECDSA" }
        if type.contains("rsa") { return "RSA" }
        if type.contains("dss") { return "DSA" }
        return type
    }

    private static func sha256Fingerprint(_ key: OpaquePointer) -> String? {
        var hash: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, hash != nil else {
            return nil
        }
        defer { ssh_clean_pubkey_hash(&hash) }
        guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else { return nil }
        defer { ssh_string_free_char(text) }
        return String(cString: text)
    }
}

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
