import Glibc
import SyncCore

/// An open directory descriptor (`O_DIRECTORY`), closed on release. Its entries are listed with
/// `fdopendir` on a duplicate and examined with `fstatat`/`readlinkat` relative to it.
final class PosixDirectoryHandle: DirectoryHandle {
    let descriptor: Int32
    let path: [UInt8]

    init(descriptor: Int32, path: [UInt8]) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }
}

extension PosixFileSystem {
    public func openDirectory(_ path: [UInt8]) throws(SystemCallError) -> any DirectoryHandle {
        let descriptor = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("opendir", path) { open(pointer, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        }
        return PosixDirectoryHandle(descriptor: descriptor, path: path)
    }

    public func listDirectory(_ directory: any DirectoryHandle) throws(SystemCallError) -> [[UInt8]] {
        guard let handle = directory as? PosixDirectoryHandle else { return try listDirectory(directory.path) }
        // fdopendir takes the descriptor over; the handle keeps its own.
        let copy = try syscall("opendir", directory.path) { dup(handle.descriptor) }
        guard let stream = fdopendir(copy) else {
            let failure = systemError("opendir", directory.path, errno)
            close(copy)
            throw failure
        }
        defer { closedir(stream) }
        return try readNames(stream, path: directory.path)
    }

    public func lstat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        try statusAt(name, in: directory, follow: false)
    }

    public func stat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        try statusAt(name, in: directory, follow: true)
    }

    public func readLink(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> [UInt8] {
        guard let handle = directory as? PosixDirectoryHandle else {
            return try readLink(PathBytes.join(directory.path, name))
        }
        var buffer = [UInt8](repeating: 0, count: 4097)
        let length = try syscallAt("readlink", name, in: directory) { pointer in
            buffer.withUnsafeMutableBytes { raw in
                readlinkat(handle.descriptor, pointer, raw.baseAddress!.assumingMemoryBound(to: CChar.self), 4096)
            }
        }
        return Array(buffer[0..<length])
    }

    private func statusAt(_ name: [UInt8], in directory: any DirectoryHandle, follow: Bool)
        throws(SystemCallError) -> FileStatus
    {
        guard let handle = directory as? PosixDirectoryHandle else {
            let path = PathBytes.join(directory.path, name)
            return follow ? try stat(path) : try lstat(path)
        }
        var info = Glibc.stat()
        _ = try syscallAt(follow ? "stat" : "lstat", name, in: directory) { pointer in
            fstatat(handle.descriptor, pointer, &info, follow ? 0 : AT_SYMLINK_NOFOLLOW)
        }
        return FileStatus(info)
    }
}

/// A `*at` call on the entry `name` of `directory`, retried on EINTR; the entry's full path (for the
/// message) is made only when the call fails.
private func syscallAt<T: FixedWidthInteger>(_ call: String, _ name: [UInt8], in directory: any DirectoryHandle,
    _ body: (UnsafePointer<CChar>) -> T) throws(SystemCallError) -> T
{
    let (result, code) = try withCPath(name) { pointer throws(SystemCallError) -> (T, Int32) in
        while true {
            let value = body(pointer)
            if value != -1 { return (value, 0) }
            if errno != EINTR { return (value, errno) }
        }
    }
    guard result == -1 else { return result }
    throw systemError(call, PathBytes.join(directory.path, name), code)
}
