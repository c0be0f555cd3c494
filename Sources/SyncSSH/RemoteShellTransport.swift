import Glibc

/// rsync's own way to reach the peer: run the `-e`/`--rsh` command (or `RSYNC_RSH`, default `ssh`) with argv
/// `[COMMAND words..., -l user, host, remote command...]` and talk over its stdin/stdout (rsync `main.c` `do_cmd`
/// and `pipe.c` `piped_child`).
///
/// Like rsync's `fd_pair`, stdin and stdout are socket pairs, so a write after the child died fails with `EPIPE`
/// (sent with `MSG_NOSIGNAL`) instead of raising `SIGPIPE` in our process. The child gets default signal
/// dispositions and an empty signal mask.
public final class RemoteShellTransport: RemoteTransport {
    /// The child's process id.
    public let processID: pid_t
    /// The argv that was run.
    public let arguments: [String]

    private let io: FileDescriptors
    private let waiter: ExitWaiter

    /// Runs COMMAND (rsync-split) to `host` with `remoteCommand`.
    ///
    /// - Parameters:
    ///   - command: the `-e` string; see ``RemoteShellCommand/resolve(option:environment:)``.
    ///   - user: passed as `-l user`, as rsync does.
    ///   - remoteCommand: the words after the host (e.g. `["swsync", "--server", ...]`).
    ///   - environment: the child's environment; `nil` inherits ours.
    ///   - stderr: `.inherit` gives the child our fd 2 (rsync's behaviour); `.lines` captures it.
    public convenience init(
        command: String, user: String? = nil, host: String, remoteCommand: [String], addressFamily: String? = nil,
        environment: [String: String]? = nil, stderr: StderrDestination = .inherit
    ) throws(TransportError) {
        let argv = try RemoteShellCommand.arguments(
            command: command, user: user, host: host, remoteCommand: remoteCommand, addressFamily: addressFamily)
        try self.init(arguments: argv, environment: environment, stderr: stderr)
    }

    /// Runs `arguments` (looked up on `PATH` like `execvp`) with stdin/stdout connected to this transport.
    public init(arguments: [String], environment: [String: String]? = nil, stderr: StderrDestination = .inherit)
        throws(TransportError)
    {
        precondition(!arguments.isEmpty, "RemoteShellTransport needs a command")
        self.arguments = arguments
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        var cleanup = true
        defer {
            if cleanup {
                for var fd in toChild + fromChild + errorPipe { closeIfOpen(&fd) }
            }
        }
        let streamType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if case .failure(let error) = retryingSyscall({ socketpair(AF_UNIX, streamType, 0, &toChild) }) {
            throw ioError("socketpair", error.code)
        }
        if case .failure(let error) = retryingSyscall({ socketpair(AF_UNIX, streamType, 0, &fromChild) }) {
            throw ioError("socketpair", error.code)
        }
        if case .lines = stderr {
            if case .failure(let error) = retryingSyscall({ socketpair(AF_UNIX, streamType, 0, &errorPipe) }) {
                throw ioError("socketpair", error.code)
            }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[1], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        if errorPipe[1] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { table in
            table.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { for pointer in envp ?? [] { free(pointer) } }

        var pid = pid_t()
        let rc: Int32 = argv.withUnsafeBufferPointer { argvBuffer in
            if let envp {
                return envp.withUnsafeBufferPointer { envBuffer in
                    posix_spawnp(
                        &pid, arguments[0], &actions, &attributes, argvBuffer.baseAddress!, envBuffer.baseAddress!)
                }
            }
            return posix_spawnp(&pid, arguments[0], &actions, &attributes, argvBuffer.baseAddress!, environ)
        }
        if rc != 0 {
            throw TransportError(
                .spawnFailed, "Failed to exec \(arguments[0]): \(errnoText(rc)) (\(rc))", exitCode: 14, errno: rc)
        }

        // The child holds its ends now; we keep ours.
        closeIfOpen(&toChild[1])
        closeIfOpen(&fromChild[1])
        closeIfOpen(&errorPipe[1])
        cleanup = false
        processID = pid
        io = FileDescriptors(stdin: toChild[0], stdout: fromChild[0])

        var stderrThread: pthread_t? = nil
        if case .lines(let handler) = stderr {
            let fd = errorPipe[0]
            stderrThread = startThread(join: true) { Self.pumpStderr(fd, handler) }
        }
        waiter = ExitWaiter(pid: pid, stderrThread: stderrThread)
    }

    deinit {
        io.closeAll()
        waiter.reapOnDeinit()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        let fd = io.stdinDescriptor
        guard fd >= 0 else {
            throw TransportError(.io, "write to remote shell after closing its input", exitCode: 12, errno: EPIPE)
        }
        var offset = 0
        while offset < bytes.count {
            let result = retryingSyscall {
                send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            switch result {
            case .success(let n): offset += n
            case .failure(let error): throw ioError("write to remote shell", error.code)
            }
        }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let fd = io.stdout
        switch retryingSyscall({ Glibc.read(fd, buffer.baseAddress!, buffer.count) }) {
        case .success(let n): return n
        case .failure(let error) where error.code == ECONNRESET: return 0
        case .failure(let error): throw ioError("read from remote shell", error.code)
        }
    }

    public func closeWrite() {
        io.closeStdin()
    }

    /// Waits for the child (EINTR-safe) and for its stderr to drain. Exit codes pass through as rsync's
    /// `wait_process_with_flush` passes them (255 from ssh, 127 from a missing remote command); a child killed
    /// by a signal gives 16 (15 if it dumped core).
    public func waitForExit() -> Int32 {
        waiter.wait()
    }

    private static func pumpStderr(_ fd: Int32, _ handler: StderrLineHandler) {
        var fd = fd
        defer { closeIfOpen(&fd) }
        var splitter = LineSplitter()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in
                retryingSyscall { Glibc.read(fd, buffer.baseAddress!, buffer.count) }
            }
            guard case .success(let n) = result, n > 0 else { break }
            chunk.withUnsafeBytes { buffer in
                splitter.feed(UnsafeRawBufferPointer(rebasing: buffer[..<n]), handler)
            }
        }
        splitter.finish(handler)
    }
}

/// Our ends of the child's stdin and stdout.
private final class FileDescriptors: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stdinFD: Int32
    private var stdoutFD: Int32

    init(stdin: Int32, stdout: Int32) {
        stdinFD = stdin
        stdoutFD = stdout
    }

    var stdinDescriptor: Int32 { lock.withLock { stdinFD } }
    var stdout: Int32 { lock.withLock { stdoutFD } }

    func closeStdin() { lock.withLock { closeIfOpen(&stdinFD) } }

    func closeAll() {
        lock.withLock {
            closeIfOpen(&stdinFD)
            closeIfOpen(&stdoutFD)
        }
    }
}

/// Reaps the child once and remembers its status; joins the stderr thread.
private final class ExitWaiter: @unchecked Sendable {
    private let lock = ConditionLock()
    private let pid: pid_t
    private var stderrThread: pthread_t?
    private var status: Int32?

    init(pid: pid_t, stderrThread: pthread_t?) {
        self.pid = pid
        self.stderrThread = stderrThread
    }

    func wait() -> Int32 {
        lock.withLock {
            if let status { return status }
            var raw: Int32 = 0
            let result = retryingSyscall { waitpid(pid, &raw, 0) }
            let code: Int32
            if case .failure = result {
                code = 21  // rsync RERR_WAITCHILD
            } else {
                code = Self.rsyncStatus(raw)
            }
            if let thread = stderrThread {
                pthread_join(thread, nil)
                stderrThread = nil
            }
            status = code
            return code
        }
    }

    /// Our fds are already closed, so a well-behaved ssh is exiting; one that is not gets SIGTERM.
    func reapOnDeinit() {
        lock.withLock {
            guard status == nil else { return }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == 0 {
                kill(pid, SIGTERM)
                _ = retryingSyscall { waitpid(pid, &raw, 0) }
            }
            if let thread = stderrThread {
                pthread_join(thread, nil)
                stderrThread = nil
            }
            status = Self.rsyncStatus(raw)
        }
    }

    /// rsync `main.c` `wait_process_with_flush`: WEXITSTATUS as is; killed by a signal → 16 (15 with a core).
    static func rsyncStatus(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        if signal == 0 { return (raw >> 8) & 0xff }
        return raw & 0x80 != 0 ? 15 : 16
    }
}
