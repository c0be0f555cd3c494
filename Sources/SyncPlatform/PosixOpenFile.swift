import CSyncShims
import Glibc
import SyncCore

/// A descriptor with positioned I/O (`pread`/`pwrite`), closed on release.
final class PosixOpenFile: OpenFile {
    let descriptor: Int32
    let path: [UInt8]
    /// How data written through it is laid down (`-S`, `--fsync`).
    private let writes: DataWrites
    /// The end of the data written so far, which a sparse file's length must reach.
    private var writtenEnd: Int64 = 0

    init(descriptor: Int32, path: [UInt8], writes: DataWrites = DataWrites()) {
        self.descriptor = descriptor
        self.path = path
        self.writes = writes
    }

    deinit { close(descriptor) }

    /// A regular file's length; a block device's is its capacity (rsync's `get_device_size`), a character
    /// device's 0.
    func size() throws(SystemCallError) -> Int64 {
        var info = stat()
        _ = try syscall("fstat", path) { fstat(descriptor, &info) }
        guard info.st_mode & S_IFMT == S_IFBLK else { return Int64(info.st_size) }
        // The end found by seeking there, and the position put back (a copy reads from it).
        let position = try syscall("lseek", path) { lseek(descriptor, 0, SEEK_CUR) }
        let end = try syscall("lseek", path) { lseek(descriptor, 0, SEEK_END) }
        _ = try syscall("lseek", path) { lseek(descriptor, position, SEEK_SET) }
        return Int64(end)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
        try syscall("read", path) { pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
        guard writes.sparse else { return try writeAll(bytes, at: offset) }
        let end = offset + Int64(bytes.count)
        writtenEnd = max(writtenEnd, end)
        var cursor = offset
        try DataWrites.dataRuns(of: bytes, at: offset) { (piece, pieceOffset) throws(SystemCallError) in
            try punchIfOverwriting(from: cursor, to: pieceOffset)
            try writeAll(piece, at: pieceOffset)
            cursor = pieceOffset + Int64(piece.count)
        }
        try punchIfOverwriting(from: cursor, to: end)
    }

    /// In place, the zeros left out of a sparse write replace old data: that range is punched out.
    private func punchIfOverwriting(from start: Int64, to end: Int64) throws(SystemCallError) {
        guard writes.overwrites, end > start else { return }
        try FileCopier.zeroRange(descriptor, from: start, to: end, path: path)
    }

    func finishWrites() throws(SystemCallError) {
        if writes.sparse, writtenEnd > (try size()) { try truncate(to: writtenEnd) }
        if writes.fsync { _ = try syscall("fsync", path) { fsync(descriptor) } }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
        var done = 0
        while done < bytes.count {
            let count = try syscall("write", path) {
                pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            done += count
        }
    }

    /// A device (`--write-devices`) keeps its length: only a regular file is truncated.
    func truncate(to length: Int64) throws(SystemCallError) {
        guard !FileCopier.isDevice(descriptor) else { return }
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
        return PosixOpenFile(descriptor: descriptor, path: path, writes: dataWrites)
    }

    public func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        let descriptor = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("open", path) { open(pointer, O_RDWR | O_CLOEXEC) }
        }
        return PosixOpenFile(descriptor: descriptor, path: path, writes: dataWrites.inPlace)
    }
}
