import Glibc
import SyncCore

/// `-4`/`-6` for the built-in client: libssh 0.10 has no address-family option, so the socket is made here for
/// the family asked for and handed to libssh (`SSH_OPTIONS_FD`), which then owns it. Messages and exit status
/// (255) are ssh's for a name without an address of that family and for a refused connection.
enum AddressFamilySocket {
    /// A socket connected to `host`:`port` over `family`, trying each address in turn.
    static func connect(host: String, port: UInt32, family: SSHOptions.AddressFamily, timeoutSeconds: Int?) throws(TransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = family == .ipv4 ? AF_INET : AF_INET6
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            throw TransportError(.connectFailed,
                "ssh: Could not resolve hostname \(host): \(String(cString: gai_strerror(status)))",
                exitCode: TransportError.sshFailureExitCode)
        }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = ECONNREFUSED
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let current = address {
            address = current.pointee.ai_next
            let descriptor = socket(current.pointee.ai_family, current.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                current.pointee.ai_protocol)
            guard descriptor >= 0 else {
                lastError = errno
                continue
            }
            let code = connectWithin(descriptor, current.pointee.ai_addr, current.pointee.ai_addrlen, timeoutSeconds)
            if code == 0 { return descriptor }
            lastError = code
            _ = close(descriptor)
        }
        if lastError == ETIMEDOUT, let timeoutSeconds {
            throw TransportError(.connectTimeout,
                "ssh: connect to host \(host) port \(port): timed out after \(timeoutSeconds)s",
                exitCode: ExitStatus.connectTimeout.rawValue)
        }
        throw TransportError(.connectFailed, "ssh: connect to host \(host) port \(port): \(errnoText(lastError))",
            exitCode: TransportError.sshFailureExitCode)
    }

    /// `connect`, bounded by `timeoutSeconds` when given; 0 or the errno it failed with.
    private static func connectWithin(_ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
        _ length: socklen_t, _ timeoutSeconds: Int?) -> Int32
    {
        guard let timeoutSeconds else {
            while Glibc.connect(descriptor, address, length) != 0 {
                if errno != EINTR { return errno }
            }
            return 0
        }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(descriptor, F_SETFL, flags) }
        if Glibc.connect(descriptor, address, length) == 0 { return 0 }
        guard errno == EINPROGRESS else { return errno }
        var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&waiting, 1, Int32(clamping: timeoutSeconds * 1000))
        if ready == 0 { return ETIMEDOUT }
        if ready < 0 { return errno }
        var failure: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &failure, &size) == 0 else { return errno }
        return failure
    }
}
