import Glibc
import SyncCore

/// Runs a syscall that returns -1 on failure, retrying on EINTR unless `retryOnInterrupt` is false,
/// and turns errno into a `SystemCallError` naming the call and the path.
@inline(__always)
func syscall<T: FixedWidthInteger>(
    _ call: String, _ path: [UInt8], retryOnInterrupt: Bool = true, _ body: () -> T
) throws(SystemCallError) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let code = errno
        if code == EINTR && retryOnInterrupt { continue }
        throw systemError(call, path, code)
    }
}

@inline(never)
func systemError(_ call: String, _ path: [UInt8], _ code: Int32) -> SystemCallError {
    SystemCallError(call: call, path: path, errno: code, errnoText: String(cString: strerror(code)))
}

/// Calls `body` with a NUL-terminated copy of `path`.
@inline(__always)
func withCPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) throws(SystemCallError) -> R) throws(SystemCallError) -> R {
    // A NUL-terminated copy on the stack (heap only for very long paths): no allocation per syscall.
    let result: Result<R, SystemCallError> = withUnsafeTemporaryAllocation(of: CChar.self, capacity: path.count + 1) {
        buffer in
        path.withUnsafeBytes { bytes in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
        }
        buffer[path.count] = 0
        return Result { () throws(SystemCallError) -> R in try body(buffer.baseAddress!) }
    }
    return try result.get()
}
