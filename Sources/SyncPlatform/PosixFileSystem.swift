import CSyncShims
import Glibc
import SyncCore

/// The real file system, through Glibc calls (lstat, readdir, copy_file_range, rename, utimensat ...).
public struct PosixFileSystem: FileSystem {
    /// How the operator's paths are opened (`PosixOperatorPaths.swift`).
    public var trust: SymlinkTrust
    /// `-S`, `--preallocate`, `--fsync` for the files it writes.
    public var dataWrites: DataWrites

    public init(trust: SymlinkTrust = SymlinkTrust(), dataWrites: DataWrites = DataWrites()) {
        self.trust = trust
        self.dataWrites = dataWrites
        // The walk compares the path it reached, its links resolved, with the root: so the root too.
        if let root = trust.confineRoot, let real = try? resolvedPath(root) {
            self.trust.confineRoot = real == [PathBytes.slash] ? nil : real
        }
    }

    public func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        try withCPath(path) { pointer throws(SystemCallError) in try statusOf(pointer, path, follow: false) }
    }

    public func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        try withCPath(path) { pointer throws(SystemCallError) in try statusOf(pointer, path, follow: true) }
    }

    public func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]] {
        let directory = try withCPath(path) { pointer throws(SystemCallError) -> OpaquePointer in
            guard let handle = opendir(pointer) else { throw systemError("opendir", path, errno) }
            return handle
        }
        defer { closedir(directory) }
        return try readNames(directory, path: path)
    }

    /// The names a directory stream holds, without `.` and `..`.
    func readNames(_ directory: OpaquePointer, path: [UInt8]) throws(SystemCallError) -> [[UInt8]] {
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw systemError("readdir", path, errno) }
                break
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: UInt8.self, capacity: 256) { bytes -> [UInt8] in
                    let length = strlen(UnsafeRawPointer(bytes).assumingMemoryBound(to: CChar.self))
                    return Array(UnsafeBufferPointer(start: bytes, count: length))
                }
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    public func readLink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4097)
        let length = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("readlink", path) {
                buffer.withUnsafeMutableBytes { raw in
                    Glibc.readlink(pointer, raw.baseAddress!.assumingMemoryBound(to: CChar.self), 4096)
                }
            }
        }
        return Array(buffer[0..<length])
    }

    public func readFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        let input = try openFile(path, O_RDONLY | O_CLOEXEC, fallback: nil)
        defer { close(input) }
        return try Self.readAll(input, path: path)
    }

    /// Reads a descriptor to its end (a rules file, or standard input for `--exclude-from=-`).
    public static func readAll(_ descriptor: Int32, path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try syscall("read", path) {
                chunk.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress, raw.count) }
            }
            if count == 0 { return content }
            content.append(contentsOf: chunk[0..<count])
        }
    }

    public func makeDirectory(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("mkdir", path) { mkdir(pointer, mode_t(permissions)) }
        }
    }

    public func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(target) { targetPointer throws(SystemCallError) in
            try withCPath(path) { pointer throws(SystemCallError) in
                try syscall("symlink", path) { symlink(targetPointer, pointer) }
            }
        }
    }

    public func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(existing) { existingPointer throws(SystemCallError) in
            try withCPath(path) { pointer throws(SystemCallError) in
                try syscall("link", path) { link(existingPointer, pointer) }
            }
        }
    }

    public func makeNode(_ path: [UInt8], mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("mknod", path) { mknod(pointer, mode_t(mode), dev_t(rdev)) }
        }
    }

    public func rename(_ from: [UInt8], to: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(from) { fromPointer throws(SystemCallError) in
            try withCPath(to) { toPointer throws(SystemCallError) in
                try syscall("rename", to) { Glibc.rename(fromPointer, toPointer) }
            }
        }
    }

    public func removeFile(_ path: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("unlink", path) { unlink(pointer) }
        }
    }

    public func removeDirectory(_ path: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("rmdir", path) { rmdir(pointer) }
        }
    }

    public func setPermissions(_ path: [UInt8], _ permissions: UInt32) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("chmod", path) { fchmodat(AT_FDCWD, pointer, mode_t(permissions), 0) }
        }
    }

    public func setOwner(_ path: [UInt8], uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("lchown", path) { lchown(pointer, uid ?? UInt32.max, gid ?? UInt32.max) }
        }
    }

    public func setModificationTime(_ path: [UInt8], _ time: FileTime) throws(SystemCallError) {
        var times = (
            timespec(tv_sec: 0, tv_nsec: csync_utime_omit()),
            timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
        )
        _ = try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("utimensat", path) {
                withUnsafePointer(to: &times) { tuple in
                    tuple.withMemoryRebound(to: timespec.self, capacity: 2) { spec in
                        utimensat(AT_FDCWD, pointer, spec, AT_SYMLINK_NOFOLLOW)
                    }
                }
            }
        }
    }

    public func copyFile(
        from source: [UInt8], toNew temporaryPath: [UInt8], permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: Int32
        do { input = try openFile(source, O_RDONLY | O_CLOEXEC | csync_o_noatime(), fallback: O_RDONLY | O_CLOEXEC) } catch {
            throw error.at(.openSource)
        }
        defer { close(input) }
        let output: Int32
        do {
            output = try withCPath(temporaryPath) { pointer throws(SystemCallError) in
                try syscall("open", temporaryPath) {
                    open(pointer, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(permissions))
                }
            }
        } catch {
            throw error.at(.createTemporary)
        }
        lockAsWriter(output)
        let result: Result<Int64, SystemCallError> = Result { () throws(SystemCallError) -> Int64 in
            try FileCopier.copy(from: input, to: output, sourcePath: source,
                destinationPath: temporaryPath, length: length, writes: dataWrites, progress: progress)
        }
        switch result {
        case .success(let written):
            guard close(output) == 0 else {
                let failure = systemError("close", temporaryPath, errno)
                _ = try? removeFile(temporaryPath)
                throw failure
            }
            return written
        case .failure(let failure):
            close(output)
            // An interrupted copy is left for the receiver: with --partial it keeps the data.
            if failure.errno != EINTR { _ = try? removeFile(temporaryPath) }
            throw failure
        }
    }

    public func copyFileInPlace(
        from source: [UInt8], to destination: [UInt8], length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: Int32
        do { input = try openFile(source, O_RDONLY | O_CLOEXEC, fallback: nil) } catch { throw error.at(.openSource) }
        defer { close(input) }
        let output = try withCPath(destination) { pointer throws(SystemCallError) in
            try syscall("open", destination) { open(pointer, O_WRONLY | O_CLOEXEC) }
        }
        defer { close(output) }
        return try FileCopier.copy(from: input, to: output, sourcePath: source, destinationPath: destination,
            length: length, writes: dataWrites.inPlace, truncatingToCopy: true, progress: progress)
    }

    /// A temp file changed this recently may be between two steps of another run's write.
    static var writerGraceSeconds: Int { 10 }

    public func isInUseByWriter(_ path: [UInt8]) -> Bool {
        let locked = try? withCPath(path) { pointer throws(SystemCallError) -> Bool in
            let descriptor = open(pointer, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            return Self.isInUseByWriter(descriptor)
        }
        return locked ?? false
    }

    /// The open file changed in the last seconds, or another writer holds its lock.
    static func isInUseByWriter(_ descriptor: Int32) -> Bool {
        var info = Glibc.stat()
        var now = timespec()
        if fstat(descriptor, &info) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0
            && now.tv_sec - info.st_ctim.tv_sec < Self.writerGraceSeconds
        {
            return true
        }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }

    public func checksum(_ path: [UInt8]) throws(SystemCallError) -> FileChecksum {
        let input = try openFile(path, O_RDONLY | O_CLOEXEC, fallback: nil)
        defer { close(input) }
        let hash = StreamingHash()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = try syscall("read", path) { read(input, buffer.baseAddress, buffer.count) }
            if count == 0 { break }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return hash.finish()
    }

    public func resolvedPath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        try withCPath(path) { pointer throws(SystemCallError) -> [UInt8] in
            guard let resolved = realpath(pointer, nil) else { throw systemError("realpath", path, errno) }
            defer { free(resolved) }
            return Array(UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)))
        }
    }

    public func currentDirectory() -> [UInt8] {
        guard let pointer = getcwd(nil, 0) else { return [0x2E] }
        defer { free(pointer) }
        return Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
    }

    private func openFile(_ path: [UInt8], _ flags: Int32, fallback: Int32?) throws(SystemCallError) -> Int32 {
        try withCPath(path) { pointer throws(SystemCallError) in
            let descriptor = open(pointer, flags)
            if descriptor >= 0 { return descriptor }
            if errno == EPERM, let fallback {  // O_NOATIME needs ownership
                return try syscall("open", path) { open(pointer, fallback) }
            }
            throw systemError("open", path, errno)
        }
    }
}

/// lstat/stat at file scope, where `stat` names both the struct and the call.
private func statusOf(_ pointer: UnsafePointer<CChar>, _ path: [UInt8], follow: Bool) throws(SystemCallError) -> FileStatus {
    var info = stat()
    let call = follow ? "stat" : "lstat"
    _ = try syscall(call, path) { follow ? stat(pointer, &info) : lstat(pointer, &info) }
    return FileStatus(info)
}

extension FileStatus {
    init(_ info: stat) {
        self.init(
            mode: UInt32(info.st_mode), size: Int64(info.st_size),
            mtime: FileTime(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec)),
            uid: info.st_uid, gid: info.st_gid, device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
            linkCount: UInt64(info.st_nlink), rdev: UInt64(info.st_rdev))
        atime = Int64(info.st_atim.tv_sec)
    }
}

/// Marks a new file as being written by this run (an advisory `flock`, dropped when the descriptor
/// closes), so that another run's `--delete` can tell it from a leftover of a run that died.
func lockAsWriter(_ descriptor: Int32) {
    _ = flock(descriptor, LOCK_EX | LOCK_NB)
}
