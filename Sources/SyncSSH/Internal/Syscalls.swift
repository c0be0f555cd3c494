import Glibc

/// Runs a syscall that returns -1 on failure, retrying on EINTR, and returns the result or `errno`
/// (swift-system's `valueOrErrno` shape). SyncPlatform's `syscall` helper is internal to that module.
@inline(__always)
func retryingSyscall<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
    while true {
        let result = body()
        if result != -1 { return .success(result) }
        let code = errno
        if code != EINTR { return .failure(Errno(code: code)) }
    }
}

/// An `errno` value as an `Error`, for `Result`.
struct Errno: Error, Equatable {
    var code: Int32
}

/// A stream I/O failure on a transport's pipe or socket, exit status 12 as rsync's `io.c` reports.
@inline(never)
func ioError(_ call: String, _ code: Int32) -> TransportError {
    TransportError(.io, "\(call) failed: \(errnoText(code)) (\(code))", exitCode: 12, errno: code)
}

/// Closes `fd` if it is open and marks it closed.
func closeIfOpen(_ fd: inout Int32) {
    if fd >= 0 {
        _ = Glibc.close(fd)
        fd = -1
    }
}
