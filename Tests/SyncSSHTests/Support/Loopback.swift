import Glibc

/// A TCP socket on 127.0.0.1 that listens but never accepts or speaks: the kernel completes the handshake, and
/// the SSH banner never comes (for `--contimeout`). Closed on deinit.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSSHDError("socket: \(errno)") }
        port = try bindLoopback(fd)
        guard listen(fd, 8) == 0 else { throw TestSSHDError("listen: \(errno)") }
    }

    deinit { close(fd) }
}

/// A loopback port with nothing listening (bound then closed; nothing else on this host should grab it at once).
func closedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSSHDError("socket: \(errno)") }
    defer { close(fd) }
    return try bindLoopback(fd)
}

private func bindLoopback(_ fd: Int32) throws -> Int {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestSSHDError("bind: \(errno)") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
