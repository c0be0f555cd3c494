import Glibc
import SyncCore

/// An open file of an `InMemoryFileSystem`: it holds the inode, not the name, so it reads and writes the
/// same data after a rename or an unlink, as a descriptor does. Positioned reads and writes (`pread`,
/// `pwrite`); a write past the end fills the gap with zeros. Released, it drops its writer lock.
final class InMemoryOpenFile: OpenFile {
    let fs: InMemoryFileSystem
    let inode: UInt64
    let path: [UInt8]
    /// Opened to write (O_RDWR or O_WRONLY); a write through a read-only handle is EBADF.
    private let isWritable: Bool
    private let isLockedWriter: Bool

    init(fs: InMemoryFileSystem, inode: UInt64, path: [UInt8], isWritable: Bool, isLockedWriter: Bool) {
        self.fs = fs
        self.inode = inode
        self.path = path
        self.isWritable = isWritable
        self.isLockedWriter = isLockedWriter
    }

    deinit {
        guard isLockedWriter else { return }
        let inode = inode
        fs.storage.withLock { $0.inodes[inode]!.openWriters -= 1 }
    }

    func size() throws(SystemCallError) -> Int64 {
        try fs.access(.fstat, path) { [inode] state throws(Errno) in Int64(state.inodes[inode]!.data.count) }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        try fs.access(.read, path) { [inode] state throws(Errno) -> Int in
            let file = state.inodes[inode]!
            guard file.kind != .directory else { throw Errno(EISDIR) }
            guard offset >= 0 else { throw Errno(EINVAL) }
            guard offset < Int64(file.data.count) else { return 0 }
            let count = min(buffer.count, file.data.count - Int(offset))
            file.data.withUnsafeBytes { bytes in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[Int(offset)..<Int(offset) + count]))
            }
            return count
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
        try fs.access(.write, path) { [inode, isWritable] state throws(Errno) in
            guard isWritable else { throw Errno(EBADF) }
            guard offset >= 0 else { throw Errno(EINVAL) }
            let end = Int(offset) + bytes.count
            let growth = Int64(max(0, end - state.inodes[inode]!.data.count))
            if let capacity = state.capacity, growth > 0, state.usedBytes + growth > capacity {
                throw Errno(ENOSPC)
            }
            if growth > 0 { state.inodes[inode]!.data += [UInt8](repeating: 0, count: Int(growth)) }
            state.inodes[inode]!.data.replaceSubrange(Int(offset)..<end, with: bytes)
            state.inodes[inode]!.mtime = state.now
        }
    }

    func truncate(to length: Int64) throws(SystemCallError) {
        try fs.access(.truncate, path) { [inode, isWritable] state throws(Errno) in
            guard isWritable else { throw Errno(EINVAL) }
            guard length >= 0 else { throw Errno(EINVAL) }
            let count = state.inodes[inode]!.data.count
            if Int(length) < count {
                state.inodes[inode]!.data.removeSubrange(Int(length)...)
            } else if Int(length) > count {
                if let capacity = state.capacity, state.usedBytes + length - Int64(count) > capacity {
                    throw Errno(ENOSPC)
                }
                state.inodes[inode]!.data += [UInt8](repeating: 0, count: Int(length) - count)
            }
            state.inodes[inode]!.mtime = state.now
        }
    }
}
