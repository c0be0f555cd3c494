import CSyncShims
import Glibc
import SyncCore

/// The handle-relative writes: each is the `*at` call on the parent's descriptor with the final
/// component alone, never following a symlink there. A handle of another kind (none is made here)
/// falls back to the joined path.
extension PosixFileSystem {
    public func openDirectory(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError)
        -> any DirectoryHandle
    {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followingSymlink ? 0 : O_NOFOLLOW)
        let descriptor = try atCall("opendir", location) { directory, name in openat(directory, name, flags) }
        return PosixDirectoryHandle(descriptor: descriptor, path: location.path)
    }

    public func makeDirectory(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) {
        _ = try atCall("mkdir", location) { directory, name in mkdirat(directory, name, mode_t(permissions)) }
    }

    public func makeSymlink(_ location: FileLocation, target: [UInt8]) throws(SystemCallError) {
        _ = try withCPath(target) { targetPointer throws(SystemCallError) in
            try atCall("symlink", location) { directory, name in symlinkat(targetPointer, directory, name) }
        }
    }

    public func makeHardLink(_ location: FileLocation, to existing: FileLocation) throws(SystemCallError) {
        let (existingDirectory, existingName) = descriptorAndName(existing)
        _ = try withCPath(existingName) { existingPointer throws(SystemCallError) in
            try atCall("link", location) { directory, name in
                linkat(existingDirectory, existingPointer, directory, name, 0)
            }
        }
    }

    public func makeNode(_ location: FileLocation, mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        _ = try atCall("mknod", location) { directory, name in mknodat(directory, name, mode_t(mode), dev_t(rdev)) }
    }

    public func rename(_ from: FileLocation, to: FileLocation) throws(SystemCallError) {
        let (fromDirectory, fromName) = descriptorAndName(from)
        _ = try withCPath(fromName) { fromPointer throws(SystemCallError) in
            try atCall("rename", to) { directory, name in renameat(fromDirectory, fromPointer, directory, name) }
        }
    }

    public func removeFile(_ location: FileLocation) throws(SystemCallError) {
        _ = try atCall("unlink", location) { directory, name in unlinkat(directory, name, 0) }
    }

    public func removeDirectory(_ location: FileLocation) throws(SystemCallError) {
        _ = try atCall("rmdir", location) { directory, name in unlinkat(directory, name, AT_REMOVEDIR) }
    }

    public func setPermissions(_ location: FileLocation, _ permissions: UInt32) throws(SystemCallError) {
        _ = try atCall("chmod", location) { directory, name in
            csync_fchmodat_nofollow(directory, name, permissions)
        }
    }

    public func setOwner(_ location: FileLocation, uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        _ = try atCall("lchown", location) { directory, name in
            fchownat(directory, name, uid ?? UInt32.max, gid ?? UInt32.max, AT_SYMLINK_NOFOLLOW)
        }
    }

    public func setTimes(_ location: FileLocation, modification: FileTime?, accessSeconds: Int64)
        throws(SystemCallError)
    {
        var times = (
            timespec(tv_sec: Int(accessSeconds), tv_nsec: 0),
            modification.map { timespec(tv_sec: Int($0.seconds), tv_nsec: Int($0.nanoseconds)) }
                ?? timespec(tv_sec: 0, tv_nsec: csync_utime_omit())
        )
        _ = try atCall("utimensat", location) { directory, name in
            withUnsafePointer(to: &times) { tuple in
                tuple.withMemoryRebound(to: timespec.self, capacity: 2) { spec in
                    utimensat(directory, name, spec, AT_SYMLINK_NOFOLLOW)
                }
            }
        }
    }

    public func setModificationTime(_ location: FileLocation, _ time: FileTime) throws(SystemCallError) {
        var times = (
            timespec(tv_sec: 0, tv_nsec: csync_utime_omit()),
            timespec(tv_sec: Int(time.seconds), tv_nsec: Int(time.nanoseconds))
        )
        _ = try atCall("utimensat", location) { directory, name in
            withUnsafePointer(to: &times) { tuple in
                tuple.withMemoryRebound(to: timespec.self, capacity: 2) { spec in
                    utimensat(directory, name, spec, AT_SYMLINK_NOFOLLOW)
                }
            }
        }
    }

    public func copyFile(
        from source: [UInt8], toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: Int32
        do { input = try openSource(source) } catch { throw error.at(.openSource) }
        defer { close(input) }
        return try copy(from: input, source: source, toNew: temporary, permissions: permissions, length: length,
            progress: progress)
    }

    public func copyFile(
        from source: any OpenFile, toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        guard let file = source as? PosixOpenFile else {
            return try copyFile(from: source.path, toNew: temporary, permissions: permissions, length: length,
                progress: progress)
        }
        return try copy(from: file.descriptor, source: file.path, toNew: temporary, permissions: permissions,
            length: length, progress: progress)
    }

    public func copyFileInPlace(
        from source: any OpenFile, to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        guard let file = source as? PosixOpenFile else {
            return try copyFileInPlace(from: source.path, to: destination, length: length, progress: progress)
        }
        return try copyInPlace(from: file.descriptor, source: file.path, to: destination, length: length,
            progress: progress)
    }

    public func openSource(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any OpenFile {
        let flags = O_RDONLY | O_CLOEXEC | (followingSymlink ? 0 : O_NOFOLLOW)
        let descriptor = try atCall("open", location) { directory, name in
            let noatime = openat(directory, name, flags | csync_o_noatime())
            return noatime >= 0 || errno != EPERM ? noatime : openat(directory, name, flags)
        }
        return PosixOpenFile(descriptor: descriptor, path: location.path)
    }

    public func openBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any OpenFile
    {
        let path = PathBytes.join(root.path, relativePath)
        // Root handles come from openDirectory; any other kind names a path, and is opened by it.
        guard let handle = root as? PosixDirectoryHandle else { return try openForReading(path) }
        let descriptor = try withCPath(relativePath) { pointer throws(SystemCallError) in
            try syscall("open", path) {
                let noatime = csync_open_beneath(handle.descriptor, pointer, O_RDONLY | csync_o_noatime())
                return noatime >= 0 || errno != EPERM ? noatime : csync_open_beneath(handle.descriptor, pointer, O_RDONLY)
            }
        }
        return PosixOpenFile(descriptor: descriptor, path: path)
    }

    public func openDirectoryBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any DirectoryHandle
    {
        let path = PathBytes.join(root.path, relativePath)
        guard let handle = root as? PosixDirectoryHandle else { return try openDirectory(path) }
        let name = relativePath.isEmpty ? PathBytes.dot : relativePath
        let descriptor = try withCPath(name) { pointer throws(SystemCallError) in
            try syscall("opendir", path) { csync_open_beneath(handle.descriptor, pointer, O_RDONLY | O_DIRECTORY) }
        }
        return PosixDirectoryHandle(descriptor: descriptor, path: path)
    }

    public func openDirectoryBeneathFollowingLinks(_ relativePath: [UInt8], in root: any DirectoryHandle)
        throws(SystemCallError) -> any DirectoryHandle
    {
        let path = PathBytes.join(root.path, relativePath)
        guard let handle = root as? PosixDirectoryHandle else { return try openDirectory(path) }
        let name = relativePath.isEmpty ? PathBytes.dot : relativePath
        let descriptor = try withCPath(name) { pointer throws(SystemCallError) in
            try syscall("opendir", path) {
                csync_open_beneath_following(handle.descriptor, pointer, O_RDONLY | O_DIRECTORY)
            }
        }
        return PosixDirectoryHandle(descriptor: descriptor, path: path)
    }

    /// A whole-file copy from the open descriptor `input` (read from its start) into a new file.
    private func copy(
        from input: Int32, source: [UInt8], toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let output: Int32
        do { output = try openNew(temporary, O_WRONLY, permissions: permissions) } catch {
            throw error.at(.createTemporary)
        }
        let path = temporary.path
        let result = Result { () throws(SystemCallError) -> Int64 in
            try FileCopier.copy(from: input, to: output, sourcePath: source, destinationPath: path, length: length,
                writes: dataWrites, progress: progress)
        }
        switch result {
        case .success(let written):
            guard close(output) == 0 else {
                let failure = systemError("close", path, errno)
                try? removeFile(temporary)
                throw failure
            }
            return written
        case .failure(let failure):
            close(output)
            // An interrupted copy is left for the receiver: with --partial it keeps the data.
            if failure.errno != EINTR { try? removeFile(temporary) }
            throw failure
        }
    }

    public func copyFileInPlace(
        from source: [UInt8], to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: Int32
        do { input = try openSource(source) } catch { throw error.at(.openSource) }
        defer { close(input) }
        return try copyInPlace(from: input, source: source, to: destination, length: length, progress: progress)
    }

    /// A whole-file copy from the open descriptor `input` over an existing file, truncated to the copy.
    private func copyInPlace(
        from input: Int32, source: [UInt8], to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let output = try atCall("open", destination) { directory, name in
            openat(directory, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        defer { close(output) }
        let path = destination.path
        return try FileCopier.copy(from: input, to: output, sourcePath: source, destinationPath: path,
            length: length, writes: dataWrites.inPlace, truncatingToCopy: true, progress: progress)
    }

    public func createFile(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        let descriptor: Int32
        do { descriptor = try openNew(location, O_RDWR, permissions: permissions) } catch {
            throw error.at(.createTemporary)
        }
        return PosixOpenFile(descriptor: descriptor, path: location.path, writes: dataWrites)
    }

    public func openForUpdate(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        let descriptor = try atCall("open", location) { directory, name in
            openat(directory, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
        }
        return PosixOpenFile(descriptor: descriptor, path: location.path, writes: dataWrites.inPlace)
    }

    public func openForReading(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        let descriptor = try atCall("open", location) { directory, name in
            let noatime = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | csync_o_noatime())
            return noatime >= 0 || errno != EPERM ? noatime : openat(directory, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        }
        return PosixOpenFile(descriptor: descriptor, path: location.path)
    }

    public func isInUseByWriter(_ location: FileLocation) -> Bool {
        guard let descriptor = try? atCall("open", location, { directory, name in
            openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        }) else { return false }
        defer { close(descriptor) }
        return Self.isInUseByWriter(descriptor)
    }

    /// A new file made exclusively (never through a symlink), marked as being written by this run.
    private func openNew(_ location: FileLocation, _ access: Int32, permissions: UInt32) throws(SystemCallError)
        -> Int32
    {
        let descriptor = try atCall("open", location) { directory, name in
            openat(directory, name, access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(permissions))
        }
        lockAsWriter(descriptor)
        return descriptor
    }

    /// A source file to read, without updating its access time where the owner allows it.
    private func openSource(_ path: [UInt8]) throws(SystemCallError) -> Int32 {
        try withCPath(path) { pointer throws(SystemCallError) in
            try syscall("open", path) {
                let noatime = open(pointer, O_RDONLY | O_CLOEXEC | csync_o_noatime())
                return noatime >= 0 || errno != EPERM ? noatime : open(pointer, O_RDONLY | O_CLOEXEC)
            }
        }
    }
}

/// The descriptor and name a `*at` call takes for `location`: the handle's own descriptor and the
/// final component, or the current directory and the joined path for a handle of another kind.
func descriptorAndName(_ location: FileLocation) -> (Int32, [UInt8]) {
    if let handle = location.directory as? PosixDirectoryHandle { return (handle.descriptor, location.name) }
    return (AT_FDCWD, location.path)
}

/// A `*at` call on `location`, retried on EINTR; the full path (for the message) is made only on failure.
func atCall<T: FixedWidthInteger>(_ call: String, _ location: FileLocation,
    _ body: (Int32, UnsafePointer<CChar>) -> T) throws(SystemCallError) -> T
{
    let (directory, name) = descriptorAndName(location)
    let (result, code) = try withCPath(name) { pointer throws(SystemCallError) -> (T, Int32) in
        while true {
            let value = body(directory, pointer)
            if value != -1 { return (value, 0) }
            if errno != EINTR { return (value, errno) }
        }
    }
    guard result == -1 else { return result }
    throw systemError(call, location.path, code)
}
