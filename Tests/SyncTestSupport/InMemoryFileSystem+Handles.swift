import Glibc
import SyncCore

/// An open directory of an `InMemoryFileSystem`: it holds the directory's inode, not its path, so its
/// entries are found in the directory that was opened even after that path is renamed or made a
/// symlink elsewhere, as with `PosixDirectoryHandle`'s descriptor.
public final class InMemoryDirectoryHandle: DirectoryHandle {
    public let path: [UInt8]
    let inode: UInt64
    /// The file system that made it; a handle of another one is treated as a path.
    let owner: ObjectIdentifier

    init(path: [UInt8], inode: UInt64, owner: ObjectIdentifier) {
        self.path = path
        self.inode = inode
        self.owner = owner
    }
}

/// The handle-relative calls, resolved inside the handle's directory inode with the final component
/// alone and never followed (the `*at` calls with AT_SYMLINK_NOFOLLOW / O_NOFOLLOW). Faults and hooks
/// match the entry's full path (`location.path`), as for the path calls. A handle of another kind (a
/// `PathDirectoryHandle`) falls back to the path calls.
extension InMemoryFileSystem {
    /// The directory inode of `directory` when this file system opened it.
    func directoryInode(_ directory: any DirectoryHandle) -> UInt64? {
        guard let handle = directory as? InMemoryDirectoryHandle, handle.owner == ObjectIdentifier(self) else {
            return nil
        }
        return handle.inode
    }

    /// `location`'s directory inode and name, when its handle is one of this file system's.
    func place(_ location: FileLocation) -> (directory: UInt64, name: [UInt8])? {
        directoryInode(location.directory).map { ($0, location.name) }
    }

    /// Looks `location` up in its handle's inode, or by its path for a handle of another kind.
    private static func find(
        _ location: FileLocation,
        _ place: (directory: UInt64, name: [UInt8])?,
        followLast: Bool,
        in state: State
    ) throws(Errno) -> Found {
        guard let place else { return try state.lookup(location.path, followLast: followLast) }
        return try state.lookup(place.name, in: place.directory, followLast: followLast)
    }

    private func handle(_ path: [UInt8], _ inode: UInt64) -> InMemoryDirectoryHandle {
        InMemoryDirectoryHandle(path: path, inode: inode, owner: ObjectIdentifier(self))
    }

    // MARK: Looking

    /// `opendir`, a `listDirectory` operation for faults and hooks.
    public func openDirectory(_ path: [UInt8]) throws(SystemCallError) -> any DirectoryHandle {
        let id = try access(.listDirectory, path) { state throws(Errno) -> UInt64 in
            let id = try state.existing(state.lookup(path, followLast: true))
            guard state.inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            return id
        }
        return handle(path, id)
    }

    public func openDirectory(
        _ location: FileLocation,
        followingSymlink: Bool
    ) throws(SystemCallError)
        -> any DirectoryHandle
    {
        guard let place = place(location) else { return try openDirectory(location.path) }
        let id = try access(.listDirectory, location.path) { state throws(Errno) -> UInt64 in
            let id = try state.existing(state.lookup(place.name, in: place.directory, followLast: followingSymlink))
            // O_DIRECTORY | O_NOFOLLOW: Linux refuses a symlink there as a non-directory (ENOTDIR).
            guard state.inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            return id
        }
        return handle(location.path, id)
    }

    public func listDirectory(_ directory: any DirectoryHandle) throws(SystemCallError) -> [[UInt8]] {
        guard let id = directoryInode(directory) else { return try listDirectory(directory.path) }
        return try access(.listDirectory, directory.path) { state throws(Errno) in
            // An unlinked directory lists empty, as getdents on one does.
            state.inodes[id]!.entries.keys.sorted { $0.reversed().lexicographicallyPrecedes($1.reversed()) }
        }
    }

    public func lstat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        guard let id = directoryInode(directory) else { return try lstat(PathBytes.join(directory.path, name)) }
        return try access(.lstat, PathBytes.join(directory.path, name)) { state throws(Errno) in
            try state.status(state.lookup(name, in: id, followLast: false))
        }
    }

    public func stat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        guard let id = directoryInode(directory) else { return try stat(PathBytes.join(directory.path, name)) }
        return try access(.stat, PathBytes.join(directory.path, name)) { state throws(Errno) in
            try state.status(state.lookup(name, in: id, followLast: true))
        }
    }

    public func readLink(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> [UInt8] {
        guard let id = directoryInode(directory) else { return try readLink(PathBytes.join(directory.path, name)) }
        return try access(.readLink, PathBytes.join(directory.path, name)) { state throws(Errno) in
            let found = try state.existing(state.lookup(name, in: id, followLast: false))
            guard state.inodes[found]!.kind == .symlink else { throw Errno(EINVAL) }
            return state.inodes[found]!.data
        }
    }

    // MARK: Making and removing

    public func makeDirectory(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) {
        guard let place = place(location) else { return try makeDirectory(location.path, permissions: permissions) }
        try access(.makeDirectory, location.path) { state throws(Errno) in
            _ = try state.create(
                state.lookup(place.name, in: place.directory, followLast: false),
                mode: 0o040000 | (permissions & ~state.umask)
            )
        }
    }

    public func makeSymlink(_ location: FileLocation, target: [UInt8]) throws(SystemCallError) {
        guard let place = place(location) else { return try makeSymlink(location.path, target: target) }
        try access(.makeSymlink, location.path) { state throws(Errno) in
            let id = try state.create(state.lookup(place.name, in: place.directory, followLast: false), mode: 0o120777)
            state.inodes[id]!.data = target
        }
    }

    public func makeHardLink(_ location: FileLocation, to existing: FileLocation) throws(SystemCallError) {
        let here = place(location)
        let there = place(existing)
        guard here != nil || there != nil else { return try makeHardLink(location.path, to: existing.path) }
        try access(.makeHardLink, location.path, also: existing.path) { state throws(Errno) in
            let source = try state.existing(Self.find(existing, there, followLast: false, in: state))
            guard state.inodes[source]!.kind != .directory else { throw Errno(EPERM) }
            let found = try Self.find(location, here, followLast: false, in: state)
            guard found.inode == nil else { throw Errno(EEXIST) }
            try state.link(source, into: found.parent, as: found.name)
        }
    }

    public func makeNode(_ location: FileLocation, mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        guard let place = place(location) else { return try makeNode(location.path, mode: mode, rdev: rdev) }
        try access(.makeNode, location.path) { state throws(Errno) in
            let type = mode & 0o170000
            guard [0o020000, 0o060000, 0o010000, 0o140000, 0o100000, 0].contains(type) else { throw Errno(EINVAL) }
            let permissions = mode & 0o7777 & ~state.umask
            let id = try state.create(
                state.lookup(place.name, in: place.directory, followLast: false),
                mode: (type == 0 ? 0o100000 : type) | permissions
            )
            if FileKind(mode: mode).isDevice { state.inodes[id]!.rdev = rdev }
        }
    }

    public func rename(_ from: FileLocation, to: FileLocation) throws(SystemCallError) {
        let source = place(from)
        let target = place(to)
        guard source != nil || target != nil else { return try rename(from.path, to: to.path) }
        // As the path call, the error names the target.
        try access(.rename, to.path, also: from.path) { state throws(Errno) in
            let found = try Self.find(from, source, followLast: false, in: state)
            _ = try state.existing(found)
            try state.rename(found, to: Self.find(to, target, followLast: false, in: state))
        }
    }

    public func removeFile(_ location: FileLocation) throws(SystemCallError) {
        guard let place = place(location) else { return try removeFile(location.path) }
        try access(.removeFile, location.path) { state throws(Errno) in
            let found = try state.lookup(place.name, in: place.directory, followLast: false)
            let id = try state.existing(found)
            guard state.inodes[id]!.kind != .directory else { throw Errno(EISDIR) }
            state.unlink(found.name, from: found.parent)
        }
    }

    public func removeDirectory(_ location: FileLocation) throws(SystemCallError) {
        guard let place = place(location) else { return try removeDirectory(location.path) }
        try access(.removeDirectory, location.path) { state throws(Errno) in
            let found = try state.lookup(place.name, in: place.directory, followLast: false)
            let id = try state.existing(found)
            guard state.inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            guard !found.name.isEmpty, id != place.directory else { throw Errno(EINVAL) }  // "."
            guard state.inodes[id]!.entries.isEmpty else { throw Errno(ENOTEMPTY) }
            state.unlink(found.name, from: found.parent)
        }
    }

    // MARK: Attributes

    /// fchmodat with AT_SYMLINK_NOFOLLOW: Linux cannot change a symlink's mode (EOPNOTSUPP).
    public func setPermissions(_ location: FileLocation, _ permissions: UInt32) throws(SystemCallError) {
        guard let place = place(location) else { return try setPermissions(location.path, permissions) }
        try access(.setPermissions, location.path) { state throws(Errno) in
            let id = try state.existing(state.lookup(place.name, in: place.directory, followLast: false))
            guard state.inodes[id]!.kind != .symlink else { throw Errno(EOPNOTSUPP) }
            state.inodes[id]!.mode = (state.inodes[id]!.mode & 0o170000) | (permissions & 0o7777)
        }
    }

    public func setOwner(_ location: FileLocation, uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        guard let place = place(location) else { return try setOwner(location.path, uid: uid, gid: gid) }
        try access(.setOwner, location.path) { state throws(Errno) in
            let id = try state.existing(state.lookup(place.name, in: place.directory, followLast: false))
            if let uid { state.inodes[id]!.uid = uid }
            if let gid { state.inodes[id]!.gid = gid }
        }
    }

    public func setTimes(
        _ location: FileLocation,
        modification: FileTime?,
        accessSeconds: Int64
    )
        throws(SystemCallError)
    {
        let place = place(location)
        try access(.setModificationTime, location.path) { state throws(Errno) in
            let id: UInt64
            if let place {
                id = try state.existing(state.lookup(place.name, in: place.directory, followLast: false))
            } else {
                id = try state.existing(state.lookup(location.path, followLast: false))
            }
            if let modification { state.inodes[id]!.mtime = modification }
            state.inodes[id]!.atime = accessSeconds
        }
    }

    public func setModificationTime(_ location: FileLocation, _ time: FileTime) throws(SystemCallError) {
        guard let place = place(location) else { return try setModificationTime(location.path, time) }
        try access(.setModificationTime, location.path) { state throws(Errno) in
            let id = try state.existing(state.lookup(place.name, in: place.directory, followLast: false))
            state.inodes[id]!.mtime = time
        }
    }

    // MARK: Data

    public func copyFile(
        from source: [UInt8],
        toNew temporary: FileLocation,
        permissions: UInt32,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: InMemoryOpenFile
        do { input = try open(source, forWriting: false, creating: nil) } catch { throw error.at(.openSource) }
        return try copy(from: input, toNew: temporary, permissions: permissions, length: length, progress: progress)
    }

    public func copyFile(
        from source: any OpenFile,
        toNew temporary: FileLocation,
        permissions: UInt32,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        guard let input = ownFile(source) else {
            return try copyFile(
                from: source.path,
                toNew: temporary,
                permissions: permissions,
                length: length,
                progress: progress
            )
        }
        return try copy(from: input, toNew: temporary, permissions: permissions, length: length, progress: progress)
    }

    public func copyFileInPlace(
        from source: [UInt8],
        to destination: FileLocation,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: InMemoryOpenFile
        do { input = try open(source, forWriting: false, creating: nil) } catch { throw error.at(.openSource) }
        return try copyInPlace(from: input, to: destination, length: length, progress: progress)
    }

    public func copyFileInPlace(
        from source: any OpenFile,
        to destination: FileLocation,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        guard let input = ownFile(source) else {
            return try copyFileInPlace(from: source.path, to: destination, length: length, progress: progress)
        }
        return try copyInPlace(from: input, to: destination, length: length, progress: progress)
    }

    public func createFile(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        do { return try open(location.path, forWriting: true, creating: permissions, at: place(location)) } catch {
            throw error.at(.createTemporary)
        }
    }

    public func openForUpdate(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        guard let place = place(location) else { return try openForUpdate(location.path) }
        return try open(location.path, forWriting: true, creating: nil, at: place)
    }

    public func openForReading(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        guard let place = place(location) else { return try openForReading(location.path) }
        return try open(location.path, forWriting: false, creating: nil, at: place)
    }

    public func openSource(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any OpenFile {
        guard let place = place(location) else {
            if !followingSymlink, try lstat(location.path).kind == .symlink {
                throw Self.error("open", location.path, ELOOP)
            }
            return try openForReading(location.path)
        }
        return try open(location.path, forWriting: false, creating: nil, at: place, followingSymlink: followingSymlink)
    }

    public func isInUseByWriter(_ location: FileLocation) -> Bool {
        guard let place = place(location) else { return isInUseByWriter(location.path) }
        return storage.withLock { state in
            guard let found = try? state.lookup(place.name, in: place.directory, followLast: false),
                let id = found.inode
            else { return false }
            return state.inodes[id]!.openWriters > 0 || state.inodes[id]!.markedInUse
        }
    }

    /// `source` when this file system opened it, to copy from its inode as a descriptor would.
    private func ownFile(_ source: any OpenFile) -> InMemoryOpenFile? {
        guard let file = source as? InMemoryOpenFile, file.fs === self else { return nil }
        return file
    }

    /// A whole-file copy from `input` into a new file at `temporary`, removed again unless interrupted.
    private func copy(
        from input: InMemoryOpenFile,
        toNew temporary: FileLocation,
        permissions: UInt32,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let output: InMemoryOpenFile
        do { output = try open(temporary.path, forWriting: true, creating: permissions, at: place(temporary)) } catch {
            throw error.at(.createTemporary)
        }
        do throws(SystemCallError) {
            return try copy(from: input, to: output, length: length, progress: progress)
        } catch {
            if error.errno != EINTR { try? removeFile(temporary) }
            throw error
        }
    }

    /// A whole-file copy from `input` over the existing file at `destination`, truncated to the copy.
    private func copyInPlace(
        from input: InMemoryOpenFile,
        to destination: FileLocation,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let output = try open(destination.path, forWriting: true, creating: nil, at: place(destination))
        let written = try copy(from: input, to: output, length: length, progress: progress)
        try output.truncate(to: written)
        return written
    }
}
