import CSyncShims
import Glibc
import SyncCore

/// A descriptor with positioned I/O (`pread`/`pwrite`), closed on release.
final class PosixOpenFile: OpenFile {
    let descriptor: Int32
    let path: [UInt8]

    init(descriptor: Int32, path: [UInt8]) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    func size() throws(SystemCallError) -> Int64 {
        var info = stat()
        _ = try syscall("fstat", path) { fstat(descriptor, &info) }
        return Int64(info.st_size)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        try syscall("read", path) { pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let count = try syscall("write", path) {
                pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += count
        }
    }

    func truncate(to length: Int64) throws(SystemCallError) {
        _ = try syscall("ftruncate", path) { ftruncate(descriptor, off_t(length)) }
    }
}

extension PosixFileSystem {
    public func openForReading(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        let descriptor = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("open", path) {
                let noatime = open(pointer, O_RDONLY | O_CLOEXEC | csync_o_noatime())
                return noatime >= 0 || errno != EPERM ? noatime : open(pointer, O_RDONLY | O_CLOEXEC)
            }
        }
        return PosixOpenFile(descriptor: descriptor, path: path)
    }

    public func createFile(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        let descriptor: Int32
        do {
            descriptor = try withCPath(path) { pointer throws(SystemCallError) in
                try syscall("open", path) { open(pointer, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions)) }
            }
        } catch {
            throw error.at(.createTemporary)
        }
        lockAsWriter(descriptor)
        return PosixOpenFile(descriptor: descriptor, path: path)
    }

    public func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        let descriptor = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("open", path) { open(pointer, O_RDWR | O_CLOEXEC) }
        }
        return PosixOpenFile(descriptor: descriptor, path: path)
    }
}
