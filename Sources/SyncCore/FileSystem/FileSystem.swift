/// The disk as the engine sees it. SyncPlatform implements it with POSIX calls; tests may fake it.
///
/// Paths are raw bytes (file names on Linux need not be UTF-8) without a terminating NUL.
/// Every method throws `SystemCallError` naming the call and the path.
public protocol FileSystem: Sendable {
    func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus
    func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus
    /// Names in a directory, without `.` and `..`, in no particular order.
    func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]]
    func readLink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8]

    /// Opens the directory at `path` to work on its entries through it (see `DirectoryHandle`).
    func openDirectory(_ path: [UInt8]) throws(SystemCallError) -> any DirectoryHandle
    /// Names in an open directory, without `.` and `..`, in no particular order.
    func listDirectory(_ directory: any DirectoryHandle) throws(SystemCallError) -> [[UInt8]]
    /// lstat of the entry `name` of an open directory (fstatat with AT_SYMLINK_NOFOLLOW).
    func lstat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus
    /// stat of the entry `name` of an open directory: a symlink there is followed (`-L`, `-k`).
    func stat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus
    /// The target of the symlink `name` in an open directory.
    func readLink(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> [UInt8]
    /// Opens the subdirectory `location` of an open directory; a symlink there is refused (ELOOP,
    /// ENOTDIR) unless `followingSymlink`, so a walk from a handle stays below it.
    func openDirectory(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any DirectoryHandle

    // Writes relative to an open directory, on the final component alone and never through a
    // symlink there (the `*at` calls, with AT_SYMLINK_NOFOLLOW / O_NOFOLLOW).
    func makeDirectory(_ location: FileLocation, permissions: UInt32) throws(SystemCallError)
    func makeSymlink(_ location: FileLocation, target: [UInt8]) throws(SystemCallError)
    /// linkat: `location` becomes another name of `existing` (a symlink there is linked, not followed).
    func makeHardLink(_ location: FileLocation, to existing: FileLocation) throws(SystemCallError)
    func makeNode(_ location: FileLocation, mode: UInt32, rdev: UInt64) throws(SystemCallError)
    func rename(_ from: FileLocation, to: FileLocation) throws(SystemCallError)
    func removeFile(_ location: FileLocation) throws(SystemCallError)
    func removeDirectory(_ location: FileLocation) throws(SystemCallError)
    /// fchmodat with AT_SYMLINK_NOFOLLOW: a symlink there is refused, never followed.
    func setPermissions(_ location: FileLocation, _ permissions: UInt32) throws(SystemCallError)
    /// fchownat with AT_SYMLINK_NOFOLLOW; pass `nil` to keep a value.
    func setOwner(_ location: FileLocation, uid: UInt32?, gid: UInt32?) throws(SystemCallError)
    /// utimensat with AT_SYMLINK_NOFOLLOW.
    func setModificationTime(_ location: FileLocation, _ time: FileTime) throws(SystemCallError)
    /// One utimensat (AT_SYMLINK_NOFOLLOW) for `-U`: the access time in whole seconds, and the modification
    /// time unless nil (then it is kept).
    func setTimes(_ location: FileLocation, modification: FileTime?, accessSeconds: Int64) throws(SystemCallError)
    /// `copyFile` into a new file created exclusively (O_EXCL, O_NOFOLLOW) at `temporary`.
    func copyFile(
        from source: [UInt8], toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64
    /// `copyFileInPlace` over the existing regular file at `destination` (O_NOFOLLOW).
    func copyFileInPlace(
        from source: [UInt8], to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64
    /// `createFile` at `location` (O_EXCL, O_NOFOLLOW).
    func createFile(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) -> any OpenFile
    /// `openForUpdate` of the regular file at `location` (O_NOFOLLOW).
    func openForUpdate(_ location: FileLocation) throws(SystemCallError) -> any OpenFile
    /// `openForReading` of the regular file at `location` (O_NOFOLLOW): a basis, a destination file.
    func openForReading(_ location: FileLocation) throws(SystemCallError) -> any OpenFile
    /// `isInUseByWriter` of the entry at `location`.
    func isInUseByWriter(_ location: FileLocation) -> Bool
    /// Opens a source file through its listed directory's handle; a symlink there is followed only
    /// when `followingSymlink` (`-L`, `--copy-unsafe-links`), so a file swapped for a link is refused.
    func openSource(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any OpenFile
    /// Opens `relativePath` below `root` for reading without leaving it: a symlink in any component,
    /// "..", or an absolute path fails (ELOOP, EXDEV), so a directory on the way swapped meanwhile for
    /// a symlink is refused, never followed.
    func openBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError) -> any OpenFile
    /// The directory `relativePath` below `root` ("" or "." for `root` itself), reached the same way.
    func openDirectoryBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any DirectoryHandle
    /// The directory `relativePath` below `root`, following symlinks on the way while none leads out of
    /// `root` (RESOLVE_BENEATH): a `-R` implied directory reached through an in-tree symlink.
    func openDirectoryBeneathFollowingLinks(_ relativePath: [UInt8], in root: any DirectoryHandle)
        throws(SystemCallError) -> any DirectoryHandle
    /// Opens a directory the operator named under rsync's rule for symlinks (`SymlinkTrust`);
    /// `confined`: `--confine-root` applies (not to the destination root, as in rsync).
    func openOperatorDirectory(_ path: [UInt8], confined: Bool) throws(SystemCallError) -> any DirectoryHandle
    /// Reads a file the operator named (`--files-from`, a rules file) under the same rule.
    func readOperatorFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8]
    /// `copyFile` from a source already open (`openSource`): into a new file at `temporary`.
    func copyFile(
        from source: any OpenFile, toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64
    /// `copyFileInPlace` from a source already open.
    func copyFileInPlace(
        from source: any OpenFile, to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64

    /// `-X`/`-A`: what the entry at `location` (of `kind`, never a symlink) holds of `selection`, read
    /// through a descriptor of the entry itself opened without following a symlink there.
    func securityAttributes(_ location: FileLocation, kind: FileKind, selection: SecurityAttributeSelection)
        throws(SystemCallError) -> StoredSecurityAttributes
    /// Makes `writes` on the entry at `location` in order, reached the same way; returns the writes that
    /// failed (each is tried, as rsync tries each), and throws only when the entry cannot be opened.
    func writeSecurityAttributes(_ location: FileLocation, kind: FileKind, _ writes: [AttributeWrite])
        throws(SystemCallError) -> [SystemCallError]

    /// The run is done with the existing entry at `location` (rsync's `set_file_attrs` on it): a file system
    /// that keeps attributes its own way makes the entry agree with them (`FakeSuperFileSystem`).
    func settleAttributes(_ location: FileLocation) throws(SystemCallError)

    /// A small file's whole content (filter rules, `--files-from` lists).
    func readFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8]

    func makeDirectory(_ path: [UInt8], permissions: UInt32) throws(SystemCallError)
    func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemCallError)
    func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError)
    func makeNode(_ path: [UInt8], mode: UInt32, rdev: UInt64) throws(SystemCallError)
    func rename(_ from: [UInt8], to: [UInt8]) throws(SystemCallError)
    func removeFile(_ path: [UInt8]) throws(SystemCallError)
    func removeDirectory(_ path: [UInt8]) throws(SystemCallError)

    /// chmod. Linux cannot change a symlink's own mode, so callers never pass one (the call would follow it).
    func setPermissions(_ path: [UInt8], _ permissions: UInt32) throws(SystemCallError)
    /// lchown; pass `nil` to keep a value.
    func setOwner(_ path: [UInt8], uid: UInt32?, gid: UInt32?) throws(SystemCallError)
    /// utimensat with AT_SYMLINK_NOFOLLOW.
    func setModificationTime(_ path: [UInt8], _ time: FileTime) throws(SystemCallError)

    /// Copies `source` into a new file at `temporaryPath` (created exclusively with `permissions`),
    /// reporting the bytes copied so far; `progress` returning false stops the copy with EINTR.
    /// `length`: copy exactly this many bytes (the listed size; a shorter source fails with a `read`
    /// error, ENODATA, on `source`); nil copies to the end. Returns the number of bytes written.
    func copyFile(
        from source: [UInt8], toNew temporaryPath: [UInt8], permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64
    /// Overwrites `destination` in place with the bytes of `source` (`length` of them, as for
    /// `copyFile`) and truncates it to their length.
    func copyFileInPlace(
        from source: [UInt8], to destination: [UInt8], length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64
    /// Opens an existing regular file to read (a basis, a source).
    func openForReading(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile
    /// Creates a new file exclusively (a temp file) to write.
    func createFile(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) -> any OpenFile
    /// Opens an existing file to read and write in place (`--inplace`, `--append`).
    func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile

    /// True when `path` is a file another writer may still be using: one whose lock (the one `copyFile`
    /// and `createFile` take on a new file) is held, or that changed in the last seconds (between its
    /// creation and its lock, or its last write and its rename, a temp file has no lock). A temp file
    /// another run is writing is not a leftover, and a `--delete` leaves it alone.
    func isInUseByWriter(_ path: [UInt8]) -> Bool

    /// A whole-file strong checksum (rsync `-c`).
    func checksum(_ path: [UInt8]) throws(SystemCallError) -> FileChecksum

    /// `path` with every symlink resolved (realpath), for a check of where a kept symlink leads.
    func resolvedPath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8]

    /// The process's current working directory.
    func currentDirectory() -> [UInt8]
}

/// An open directory. Its entries are listed and examined relative to it, so the directory the names
/// came from is the one they are looked up in, even if its path is made to lead elsewhere meanwhile, and
/// the kernel walks the path once per directory instead of once per entry.
public protocol DirectoryHandle: AnyObject, Sendable {
    /// The path it was opened with, for messages and for the entries' full paths.
    var path: [UInt8] { get }
}

/// The handle of a file system that has no open directories of its own (a test's, say): its entries
/// are found by joining their names to the path.
public final class PathDirectoryHandle: DirectoryHandle {
    public let path: [UInt8]
    public init(path: [UInt8]) { self.path = path }
}

extension FileSystem {
    public func openDirectory(_ path: [UInt8]) throws(SystemCallError) -> any DirectoryHandle {
        let status = try stat(path)
        guard status.kind == .directory else {
            throw SystemCallError(call: "opendir", path: path, errno: SystemErrno.notDirectory, errnoText: "Not a directory")
        }
        return PathDirectoryHandle(path: path)
    }

    public func listDirectory(_ directory: any DirectoryHandle) throws(SystemCallError) -> [[UInt8]] {
        try listDirectory(directory.path)
    }

    public func lstat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        try lstat(PathBytes.join(directory.path, name))
    }

    public func stat(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> FileStatus {
        try stat(PathBytes.join(directory.path, name))
    }

    public func readLink(_ name: [UInt8], in directory: any DirectoryHandle) throws(SystemCallError) -> [UInt8] {
        try readLink(PathBytes.join(directory.path, name))
    }
}

/// A name in an open directory: where a handle-relative call acts. `name` is one component (no
/// slash), so the kernel resolves nothing above it: the directory is the one that was opened.
public struct FileLocation: Sendable {
    public var directory: any DirectoryHandle
    public var name: [UInt8]

    public init(_ name: [UInt8], in directory: any DirectoryHandle) {
        self.directory = directory
        self.name = name
    }

    /// The entry at `path`, reached through its parent's path (a `PathDirectoryHandle`): for the few
    /// places that hold no open parent (a file outside the walk, `--temp-dir` unopened).
    public init(path: [UInt8]) {
        self.init(PathBytes.lastComponent(path), in: PathDirectoryHandle(path: PathBytes.parent(path)))
    }

    /// The entry's full path, for messages and for file systems without handles of their own.
    public var path: [UInt8] { PathBytes.join(directory.path, name) }
}

/// A file system without extended attributes or ACLs (a test's, say): EOPNOTSUPP, as Linux answers
/// for a file system that has none.
extension FileSystem {
    public func securityAttributes(_ location: FileLocation, kind: FileKind, selection: SecurityAttributeSelection)
        throws(SystemCallError) -> StoredSecurityAttributes
    {
        throw SystemCallError(call: "llistxattr", path: location.path, errno: SystemErrno.notSupported,
            errnoText: "Operation not supported")
    }
    public func writeSecurityAttributes(_ location: FileLocation, kind: FileKind, _ writes: [AttributeWrite])
        throws(SystemCallError) -> [SystemCallError]
    {
        guard !writes.isEmpty else { return [] }
        throw SystemCallError(call: "lsetxattr", path: location.path, errno: SystemErrno.notSupported,
            errnoText: "Operation not supported")
    }
}

/// A file system without open directories of its own (a test's, say) resolves the joined path.
extension FileSystem {
    public func openDirectoryBeneathFollowingLinks(_ relativePath: [UInt8], in root: any DirectoryHandle)
        throws(SystemCallError) -> any DirectoryHandle
    {
        try openDirectory(PathBytes.join(root.path, relativePath))
    }
}

/// A file system that keeps attributes only as the kernel does has nothing to settle.
extension FileSystem {
    public func settleAttributes(_ location: FileLocation) throws(SystemCallError) {}
}

/// A file system that keeps no access times (a test's, say): EOPNOTSUPP.
extension FileSystem {
    public func setTimes(_ location: FileLocation, modification: FileTime?, accessSeconds: Int64)
        throws(SystemCallError)
    {
        throw SystemCallError(call: "utimensat", path: location.path, errno: SystemErrno.notSupported,
            errnoText: "Operation not supported")
    }
}

/// A file system without open directories of its own (a test's, say) acts on the joined paths.
extension FileSystem {
    public func openDirectory(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError)
        -> any DirectoryHandle
    {
        if !followingSymlink { try refuseSymlink(location, call: "opendir") }
        return try openDirectory(location.path)
    }

    /// O_NOFOLLOW for a file system that opens by path: ELOOP when `location` is a symlink.
    private func refuseSymlink(_ location: FileLocation, call: String) throws(SystemCallError) {
        if try lstat(location.path).kind == .symlink {
            throw SystemCallError(call: call, path: location.path, errno: SystemErrno.symlinkLoop,
                errnoText: "Too many levels of symbolic links")
        }
    }
    public func makeDirectory(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) {
        try makeDirectory(location.path, permissions: permissions)
    }
    public func makeSymlink(_ location: FileLocation, target: [UInt8]) throws(SystemCallError) {
        try makeSymlink(location.path, target: target)
    }
    public func makeHardLink(_ location: FileLocation, to existing: FileLocation) throws(SystemCallError) {
        try makeHardLink(location.path, to: existing.path)
    }
    public func makeNode(_ location: FileLocation, mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        try makeNode(location.path, mode: mode, rdev: rdev)
    }
    public func rename(_ from: FileLocation, to: FileLocation) throws(SystemCallError) {
        try rename(from.path, to: to.path)
    }
    public func removeFile(_ location: FileLocation) throws(SystemCallError) { try removeFile(location.path) }
    public func removeDirectory(_ location: FileLocation) throws(SystemCallError) {
        try removeDirectory(location.path)
    }
    public func setPermissions(_ location: FileLocation, _ permissions: UInt32) throws(SystemCallError) {
        try setPermissions(location.path, permissions)
    }
    public func setOwner(_ location: FileLocation, uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        try setOwner(location.path, uid: uid, gid: gid)
    }
    public func setModificationTime(_ location: FileLocation, _ time: FileTime) throws(SystemCallError) {
        try setModificationTime(location.path, time)
    }
    public func copyFile(
        from source: [UInt8], toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try copyFile(from: source, toNew: temporary.path, permissions: permissions, length: length, progress: progress)
    }
    public func copyFileInPlace(
        from source: [UInt8], to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try copyFileInPlace(from: source, to: destination.path, length: length, progress: progress)
    }
    public func createFile(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        try createFile(location.path, permissions: permissions)
    }
    public func openForUpdate(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        try openForUpdate(location.path)
    }
    public func openForReading(_ location: FileLocation) throws(SystemCallError) -> any OpenFile {
        try openForReading(location.path)
    }
    public func isInUseByWriter(_ location: FileLocation) -> Bool { isInUseByWriter(location.path) }
    public func openSource(_ location: FileLocation, followingSymlink: Bool) throws(SystemCallError) -> any OpenFile {
        if !followingSymlink { try refuseSymlink(location, call: "open") }
        return try openForReading(location.path)
    }
    /// One component at a time through the handles, none followed: for a file system whose handles
    /// are its own (PosixFileSystem asks the kernel in one call instead).
    public func openBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any OpenFile
    {
        var components = try componentsBeneath(relativePath, in: root)
        let last = components.popLast() ?? PathBytes.dot
        var directory = root
        for component in components {
            directory = try openDirectory(FileLocation(component, in: directory), followingSymlink: false)
        }
        return try openSource(FileLocation(last, in: directory), followingSymlink: false)
    }

    public func openDirectoryBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> any DirectoryHandle
    {
        var directory = root
        for component in try componentsBeneath(relativePath, in: root) {
            directory = try openDirectory(FileLocation(component, in: directory), followingSymlink: false)
        }
        return directory
    }

    /// The components of a path below a root, without "."; EXDEV for ".." or an absolute path.
    private func componentsBeneath(_ relativePath: [UInt8], in root: any DirectoryHandle) throws(SystemCallError)
        -> [[UInt8]]
    {
        let components = relativePath.split(separator: PathBytes.slash).map { Array($0) }
        if relativePath.first == PathBytes.slash || components.contains(Array("..".utf8)) {
            throw SystemCallError(call: "open", path: PathBytes.join(root.path, relativePath),
                errno: SystemErrno.crossDevice, errnoText: "Invalid cross-device link")
        }
        return components.filter { $0 != PathBytes.dot }
    }
    public func copyFile(
        from source: any OpenFile, toNew temporary: FileLocation, permissions: UInt32, length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try copyFile(from: source.path, toNew: temporary, permissions: permissions, length: length, progress: progress)
    }
    public func copyFileInPlace(
        from source: any OpenFile, to destination: FileLocation, length: Int64?, progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        try copyFileInPlace(from: source.path, to: destination, length: length, progress: progress)
    }
}

extension FileSystem {
    /// `path` made absolute against the current directory, for messages (rsync prints full paths).
    public func absolute(_ path: [UInt8]) -> [UInt8] {
        if path.first == PathBytes.slash { return path }
        var base = currentDirectory()
        if path == PathBytes.dot || path.isEmpty { return base }
        var rest = path[...]
        while rest.starts(with: [UInt8(ascii: "."), PathBytes.slash]) { rest = rest.dropFirst(2) }
        if base.last != PathBytes.slash { base.append(PathBytes.slash) }
        return base + rest
    }
}

/// A 128-bit whole-file checksum.
public struct FileChecksum: Equatable, Sendable {
    public var low: UInt64
    public var high: UInt64
    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }
}
