/// Where ``SSHTransport`` connects and which ssh files it trusts.
///
/// With only `host` set it behaves like `ssh host`: libssh reads `~/.ssh/config` then `/etc/ssh/ssh_config`
/// (Host, HostName, Port, User, IdentityFile, UserKnownHostsFile, ...), authenticates with ssh-agent and the
/// default keys, and checks `~/.ssh/known_hosts` (plus `/etc/ssh/ssh_known_hosts`). Explicit fields win over
/// the config, as ssh's command-line options do. Tests point `sshDirectory` or `config` at a temporary directory so
/// the real `~/.ssh` is never read or written.
public struct SSHOptions: Sendable {
    /// Which ssh client configuration to read.
    public enum Config: Sendable, Equatable {
        /// `<sshDirectory>/config` (default `~/.ssh/config`), then `/etc/ssh/ssh_config`.
        case defaultFiles
        /// Only this file (like `ssh -F FILE`).
        case file(String)
        /// No configuration file at all.
        case none
    }

    /// The host as given on the command line (may be a `Host` alias from the config).
    public var host: String
    /// `-l user` / `user@`; nil leaves it to the config, then the local user name.
    public var user: String?
    /// nil leaves it to the config, then 22.
    public var port: Int?
    public var config: Config = .defaultFiles
    /// Replaces `~/.ssh` for the default keys (`id_ed25519`, `id_ecdsa`, `id_rsa`), `config` and `known_hosts`.
    public var sshDirectory: String?
    /// Overrides UserKnownHostsFile.
    public var knownHostsFile: String?
    /// Extra identities tried by `ssh_userauth_publickey_auto`, like `ssh -i`.
    public var identityFiles: [String] = []
    /// rsync `--contimeout=SECONDS`: a connection not up in time fails with exit status 35.
    public var connectTimeout: Int?
    /// `-4`/`-6`: connect over this family only (nil: whichever the name resolves to first).
    public var addressFamily: AddressFamily?
    public enum AddressFamily: Sendable { case ipv4, ipv6 }
    /// libssh's log level (0 quiet … 4 trace), printed by libssh on stderr.
    public var logVerbosity: Int32 = 0

    public init(host: String, user: String? = nil, port: Int? = nil) {
        self.host = host
        self.user = user
        self.port = port
    }

    /// Environment overrides for tests and for odd setups: `SWSYNC_SSH_CONFIG` (config file, like `ssh -F`),
    /// `SWSYNC_SSH_DIR` (replaces `~/.ssh`), `SWSYNC_SSH_KNOWN_HOSTS` (known_hosts file).
    public mutating func applyEnvironment(_ environment: [String: String]) {
        if let file = environment["SWSYNC_SSH_CONFIG"], !file.isEmpty { config = .file(file) }
        if let directory = environment["SWSYNC_SSH_DIR"], !directory.isEmpty { sshDirectory = directory }
        if let file = environment["SWSYNC_SSH_KNOWN_HOSTS"], !file.isEmpty { knownHostsFile = file }
    }
}
