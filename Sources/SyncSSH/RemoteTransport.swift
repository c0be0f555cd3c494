public import SyncCore

/// A byte stream to a remote command's stdin and stdout, with its stderr and exit status on the side.
///
/// rsync starts `rsync --server ...` on the peer through a remote shell (`-e`/`--rsh`, rsync `main.c` `do_cmd`)
/// and speaks its protocol over the shell's stdin/stdout. swsync has two implementations: ``SSHTransport``
/// (libssh inside the process, the default) and ``RemoteShellTransport`` (an external command, as rsync does).
///
/// All methods block the calling thread, like `read(2)`/`write(2)`: call them from a dedicated thread, not from the
/// Swift concurrency pool. `read` and `write` may run on two threads at once (one reader, one writer); the remote
/// side may block on a full stdout until it is read, so a caller that writes a lot must read concurrently.
public protocol RemoteTransport: AnyObject, Sendable {
    /// Writes all of `bytes` to the remote command's stdin.
    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError)

    /// Reads up to `buffer.count` bytes of the remote command's stdout; returns 0 at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int

    /// Closes the remote command's stdin (it then reads end of file). Idempotent.
    func closeWrite()

    /// Waits until the remote command has finished and all its stderr has been delivered, and returns its exit
    /// status as rsync would see it from `ssh` (255 when the connection broke or no status came back).
    func waitForExit() -> Int32
}

extension RemoteTransport {
    /// Writes all of `bytes` to the remote command's stdin.
    public func write(_ bytes: some Collection<UInt8>) throws(TransportError) {
        let result: Result<Void, TransportError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(TransportError) in try write(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        let fallback: Result<Void, TransportError> = copy.withUnsafeBytes { buffer in
            Result { () throws(TransportError) in try write(buffer) }
        }
        try fallback.get()
    }

    /// Reads stdout until end of file (tests and small exchanges; the protocol reads into its own buffer).
    public func readToEnd() throws(TransportError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let outcome: Result<Int, TransportError> = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(TransportError) in try read(into: buffer) }
            }
            let count = try outcome.get()
            if count == 0 { return result }
            result.append(contentsOf: chunk[..<count])
        }
    }
}

/// Receives the remote command's stderr one line at a time (without the `\n`; a last unterminated line is
/// delivered at end of file). Called on the transport's own thread.
public typealias StderrLineHandler = @Sendable (_ line: [UInt8]) -> Void

/// Where a transport sends the remote command's stderr.
public enum StderrDestination: Sendable {
    /// Line by line to a handler.
    case lines(StderrLineHandler)
    /// Straight to our own stderr, as rsync leaves it (the remote shell inherits fd 2).
    case inherit
}

/// A remote-shell failure: why, a message shaped like ssh's or rsync's, and the exit status rsync would end with.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure; a struct over a private enum so cases can be added later.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case syntax, connectFailed, connectTimeout, hostKeyUnknown, hostKeyChanged, hostKeyCheckFailed
            case authenticationFailed, channelFailed, connectionLost, spawnFailed, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A malformed `-e` command (rsync: "Missing trailing-' in remote-shell command.").
        public static let syntax = Code(.syntax)
        /// TCP connection or SSH handshake failed.
        public static let connectFailed = Code(.connectFailed)
        /// `--contimeout` ran out before the connection was up.
        public static let connectTimeout = Code(.connectTimeout)
        /// The host key is not in known_hosts: refused, never accepted silently.
        public static let hostKeyUnknown = Code(.hostKeyUnknown)
        /// known_hosts holds a different key (or another key type) for the host.
        public static let hostKeyChanged = Code(.hostKeyChanged)
        /// known_hosts could not be read or parsed, or the server sent no key.
        public static let hostKeyCheckFailed = Code(.hostKeyCheckFailed)
        /// No identity (agent, default keys, IdentityFile) was accepted.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Opening the session channel or the exec request failed.
        public static let channelFailed = Code(.channelFailed)
        /// The connection broke while streaming.
        public static let connectionLost = Code(.connectionLost)
        /// posix_spawn of the `-e` command failed (rsync: "Failed to exec ssh: ...", code 14).
        public static let spawnFailed = Code(.spawnFailed)
        /// A pipe or socket read/write failed.
        public static let io = Code(.io)

        public var description: String { "\(base)" }
    }

    public var code: Code
    /// Shaped like ssh's or rsync's message, without a trailing newline.
    public var message: String
    /// The exit status rsync would end with: 255 for what `ssh` reports as 255 (connect, host key, auth,
    /// lost connection), 35 for `--contimeout`, 1 for a syntax error, 14 for a failed exec, 12 for stream I/O.
    public var exitCode: Int32
    /// The `errno` behind an I/O or spawn failure.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, exitCode: Int32, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.exitCode = exitCode
        self.errno = errno
    }

    public var description: String { message }

    /// The exit status as one of rsync's values when it is one (everything but ssh's 255).
    public var exitStatus: ExitStatus? { ExitStatus(rawValue: exitCode) }

    /// ssh's exit status for connection, host-key and authentication failures. rsync passes it through
    /// ("rsync error: unexplained error (code 255)"); `ExitStatus` has no case for it.
    public static let sshFailureExitCode: Int32 = 255
}
