internal import CLibSSH
import Glibc

/// swsync's default remote shell: an SSH connection made by libssh inside the process, running the remote
/// command with `ssh_channel_request_exec`, as `ssh [user@]host command` would.
///
/// One pthread per transport owns the libssh session (sessions are not thread-safe) and does every blocking
/// libssh call: connect, host-key check, authentication, then a pump that moves bytes between the channel and two
/// bounded in-memory queues. `write`/`read` only touch those queues, so a reader and a writer never wait for each
/// other inside libssh and nothing blocks the Swift concurrency pool.
///
/// Host keys are checked the way `ssh -o StrictHostKeyChecking=yes` does: unknown or changed keys are refused
/// with ssh's message and exit status 255, and known_hosts is never written.
public final class SSHTransport: RemoteTransport {
    private let state: PumpState

    /// Connects and starts `remoteCommand`, blocking the calling thread until the command runs or the
    /// connection fails. From async code use ``connect(options:remoteCommand:stderr:)``.
    ///
    /// - Parameters:
    ///   - remoteCommand: words joined with spaces into the exec request, exactly as `ssh host word...` joins
    ///     them; the remote user's shell parses the result, so quote as you would for ssh.
    ///   - stderr: `.inherit` copies the remote stderr to ours as it arrives (what `ssh` does).
    public init(options: SSHOptions, remoteCommand: [String], stderr: StderrDestination = .inherit)
        throws(TransportError)
    {
        state = try PumpState()
        Self.start(state, options: options, command: remoteCommand.joined(separator: " "), stderr: stderr)
        try state.waitUntilConnected()
    }

    private init(state: PumpState) {
        self.state = state
    }

    /// Connects without blocking a concurrency-pool thread: the connection is made on the transport's thread.
    public static func connect(options: SSHOptions, remoteCommand: [String], stderr: StderrDestination = .inherit)
        async throws(TransportError) -> SSHTransport
    {
        let state = try PumpState()
        start(state, options: options, command: remoteCommand.joined(separator: " "), stderr: stderr)
        let result: Result<Void, TransportError> = await withCheckedContinuation { continuation in
            state.onConnected { continuation.resume(returning: $0) }
        }
        try result.get()
        return SSHTransport(state: state)
    }

    deinit {
        state.cancel()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        try state.enqueue(bytes)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int {
        try state.dequeue(into: buffer)
    }

    public func closeWrite() {
        state.closeWrite()
    }

    /// The remote command's exit status; 255 when the connection broke or the command died from a signal
    /// (no exit-status message), as `ssh` exits.
    public func waitForExit() -> Int32 {
        state.waitForExit()
    }

    private static func start(_ state: PumpState, options: SSHOptions, command: String, stderr: StderrDestination) {
        startThread {
            let opened = Result { () throws(TransportError) in try SSHConnector.open(options, command: command) }
            guard case .success(let channel) = opened else {
                if case .failure(let error) = opened { state.connected(.failure(error)) }
                return
            }
            state.connected(.success(()))
            let status = SSHPump(channel: channel, state: state, stderr: stderr, host: options.host).run()
            state.finished(status: status)
        }
    }
}

/// What the API side and the pump thread share, behind one lock. The pump is woken through a nonblocking socket
/// pair (Glibc's module does not export `eventfd`): the API side writes a byte, the pump polls and drains it.
final class PumpState: @unchecked Sendable {
    static let queueLimit = 1 << 20

    let lock = ConditionLock()
    /// The pump polls this end.
    let wakeDescriptor: Int32
    /// The API side writes here.
    private let wakeSender: Int32

    // All below guarded by `lock`.
    var connectResult: Result<Void, TransportError>?
    var connectWaiter: (@Sendable (Result<Void, TransportError>) -> Void)?
    var incoming = ByteQueue()
    var outgoing = ByteQueue()
    var writeClosed = false
    var stdoutEOF = false
    var remoteGone = false
    var failure: TransportError?
    var exitStatus: Int32?
    var cancelled = false
    var pumpWaitsForSpace = false

    init() throws(TransportError) {
        var pair: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
        if case .failure(let error) = retryingSyscall({ socketpair(AF_UNIX, type, 0, &pair) }) {
            throw ioError("socketpair", error.code)
        }
        wakeDescriptor = pair[0]
        wakeSender = pair[1]
    }

    deinit {
        _ = Glibc.close(wakeDescriptor)
        _ = Glibc.close(wakeSender)
    }

    /// One byte is enough; when the socket is full the pump has wake-ups pending anyway.
    func wakePump() {
        var one: UInt8 = 1
        _ = send(wakeSender, &one, 1, Int32(MSG_NOSIGNAL))
    }

    // MARK: connection

    func connected(_ result: Result<Void, TransportError>) {
        let waiter: (@Sendable (Result<Void, TransportError>) -> Void)? = lock.withLock {
            connectResult = result
            if case .failure(let error) = result {
                failure = error
                exitStatus = error.exitCode
            }
            lock.broadcast()
            defer { connectWaiter = nil }
            return connectWaiter
        }
        waiter?(result)
    }

    func waitUntilConnected() throws(TransportError) {
        let result = lock.withLock {
            while connectResult == nil { lock.wait() }
            return connectResult!
        }
        try result.get()
    }

    func onConnected(_ waiter: @escaping @Sendable (Result<Void, TransportError>) -> Void) {
        let ready: Result<Void, TransportError>? = lock.withLock {
            if let connectResult { return connectResult }
            connectWaiter = waiter
            return nil
        }
        if let ready { waiter(ready) }
    }

    // MARK: API side

    func enqueue(_ bytes: UnsafeRawBufferPointer) throws(TransportError) {
        var offset = 0
        while offset < bytes.count {
            try lock.withLock { () throws(TransportError) in
                while true {
                    if let failure { throw failure }
                    if writeClosed {
                        throw TransportError(
                            .io, "write to remote shell after closing its input", exitCode: 12, errno: EPIPE)
                    }
                    if remoteGone || exitStatus != nil {
                        throw ioError("write to remote shell", EPIPE)
                    }
                    if outgoing.count < Self.queueLimit { break }
                    lock.wait()
                }
                let n = min(Self.queueLimit - outgoing.count, bytes.count - offset)
                outgoing.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
                offset += n
            }
            wakePump()
        }
    }

    func dequeue(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let (count, wake) = try lock.withLock { () throws(TransportError) -> (Int, Bool) in
            while true {
                if !incoming.isEmpty {
                    let n = incoming.take(into: buffer)
                    let wake = pumpWaitsForSpace
                    pumpWaitsForSpace = false
                    return (n, wake)
                }
                if stdoutEOF { return (0, false) }
                if let failure { throw failure }
                if exitStatus != nil { return (0, false) }
                lock.wait()
            }
        }
        if wake { wakePump() }
        return count
    }

    func closeWrite() {
        lock.withLock { writeClosed = true }
        wakePump()
    }

    func waitForExit() -> Int32 {
        lock.withLock {
            while exitStatus == nil { lock.wait() }
            return exitStatus!
        }
    }

    func cancel() {
        lock.withLock { cancelled = true }
        wakePump()
    }

    // MARK: pump side

    func finished(status: Int32) {
        lock.withLock {
            exitStatus = status
            stdoutEOF = true
            outgoing.removeAll()
            lock.broadcast()
        }
    }
}

/// The pump loop: channel ⇄ queues, until the remote command's stdout and stderr reach end of file, then its exit
/// status. Runs on the transport's thread and is the only user of the session from then on.
struct SSHPump {
    let channel: SSHChannel
    let state: PumpState
    let stderr: StderrDestination
    let host: String

    private static let chunk = 64 * 1024

    func run() -> Int32 {
        let ch = channel.handle
        let session = channel.session.handle
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk, alignment: 16)
        defer { buffer.deallocate() }
        var splitter = LineSplitter()
        var stdoutEOF = false
        var stderrEOF = false
        var sentEOF = false
        var remoteGone = false

        func lost() -> Int32 {
            let error = TransportError(
                .connectionLost, "ssh: connection to \(host) lost: \(channel.session.lastError)",
                exitCode: TransportError.sshFailureExitCode)
            state.lock.withLock {
                state.failure = error
                state.lock.broadcast()
            }
            return TransportError.sshFailureExitCode
        }

        while true {
            var progressed = false
            let (cancelled, pending, writeClosed, space) = state.lock.withLock {
                (state.cancelled, state.outgoing.count, state.writeClosed, PumpState.queueLimit - state.incoming.count)
            }
            if cancelled { return TransportError.sshFailureExitCode }

            // stdin: never more than the peer's window, so ssh_channel_write does not wait for a window adjust.
            var window = 0
            if pending > 0 && !remoteGone {
                window = Int(ssh_channel_window_size(ch))
                if window > 0 {
                    let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(pending, window, Self.chunk)])
                    let n = state.lock.withLock { state.outgoing.peek(into: slice) }
                    let rc = ssh_channel_write(ch, slice.baseAddress, UInt32(n))
                    if rc > 0 {
                        state.lock.withLock {
                            state.outgoing.drop(Int(rc))
                            state.lock.broadcast()
                        }
                        progressed = true
                    } else if rc == SSH_ERROR {
                        if ssh_channel_is_closed(ch) != 0 || ssh_channel_is_eof(ch) != 0 {
                            remoteGone = true  // the command no longer reads; ssh drops the rest too
                        } else {
                            return lost()
                        }
                    }
                }
            } else if remoteGone && pending > 0 {
                state.lock.withLock {
                    state.outgoing.removeAll()
                    state.remoteGone = true
                    state.lock.broadcast()
                }
            } else if pending == 0 && writeClosed && !sentEOF && !remoteGone {
                if ssh_channel_send_eof(ch) == SSH_ERROR && ssh_channel_is_closed(ch) == 0 { return lost() }
                sentEOF = true
                progressed = true
            }

            // stdout, while there is room in the queue.
            if !stdoutEOF && space > 0 {
                let rc = ssh_channel_read_nonblocking(ch, buffer.baseAddress, UInt32(min(space, Self.chunk)), 0)
                if rc > 0 {
                    state.lock.withLock {
                        state.incoming.append(UnsafeRawBufferPointer(rebasing: buffer[..<Int(rc)]))
                        state.lock.broadcast()
                    }
                    progressed = true
                } else if rc == SSH_EOF {
                    stdoutEOF = true
                    state.lock.withLock {
                        state.stdoutEOF = true
                        state.lock.broadcast()
                    }
                } else if rc < 0 {
                    return lost()
                }
            }

            // stderr, always drained.
            if !stderrEOF {
                let rc = ssh_channel_read_nonblocking(ch, buffer.baseAddress, UInt32(Self.chunk), 1)
                if rc > 0 {
                    deliverStderr(UnsafeRawBufferPointer(rebasing: buffer[..<Int(rc)]), &splitter)
                    progressed = true
                } else if rc == SSH_EOF {
                    stderrEOF = true
                    if case .lines(let handler) = stderr { splitter.finish(handler) }
                } else if rc < 0 {
                    return lost()
                }
            }

            if stdoutEOF && stderrEOF { break }
            if progressed { continue }

            // Nothing to do: flush what libssh still holds, then sleep until the socket or the API side wakes us.
            _ = ssh_blocking_flush(session, 10_000)
            let mayReadSocket = !stderrEOF || (!stdoutEOF && space > 0) || (pending > 0 && window == 0)
            let sleep = state.lock.withLock {
                // Re-check under the lock so a reader that just made room cannot miss waking us.
                if !stdoutEOF && space == 0 && state.incoming.count < PumpState.queueLimit { return false }
                if state.cancelled || state.outgoing.count != pending || state.writeClosed != writeClosed {
                    return false
                }
                state.pumpWaitsForSpace = !stdoutEOF && space == 0
                return true
            }
            if sleep { waitForEvents(socket: mayReadSocket ? ssh_get_fd(session) : -1) }
        }

        // Both streams ended: the command closed its output. Drop unsent input, then collect the exit status
        // (ssh_channel_get_exit_status blocks until exit-status or close arrives).
        state.lock.withLock {
            state.outgoing.removeAll()
            state.remoteGone = true
            state.lock.broadcast()
        }
        let status = ssh_channel_get_exit_status(ch)
        _ = ssh_channel_close(ch)
        return status < 0 ? TransportError.sshFailureExitCode : Int32(status & 0xff)
    }

    private func deliverStderr(_ bytes: UnsafeRawBufferPointer, _ splitter: inout LineSplitter) {
        switch stderr {
        case .inherit: writeToStandardError(bytes)
        case .lines(let handler): splitter.feed(bytes, handler)
        }
    }

    private func waitForEvents(socket: Int32) {
        var fds = [pollfd(fd: state.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        if socket >= 0 { fds.append(pollfd(fd: socket, events: Int16(POLLIN), revents: 0)) }
        // The timeout is a safety net only; every state change writes the eventfd.
        _ = poll(&fds, nfds_t(fds.count), 1000)
        if fds[0].revents & Int16(POLLIN) != 0 {
            var drain = [UInt8](repeating: 0, count: 256)
            while Glibc.read(state.wakeDescriptor, &drain, drain.count) == drain.count {}
        }
    }
}
