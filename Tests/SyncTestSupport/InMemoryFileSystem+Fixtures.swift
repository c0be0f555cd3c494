import Glibc
import SyncCore

/// Building a tree, looking at it, and making calls fail.
extension InMemoryFileSystem {
    // MARK: Faults and hooks

    /// Makes the next `times` calls of `operation` on a path `match` accepts fail with `errno` (nil
    /// `times`: every call). A copy's writes are `.write` on its temp file, its reads `.read` on its source.
    ///
    ///     fs.inject(.write, .inDirectory("/dst"), errno: ENOSPC)   // the disk is full
    ///     fs.inject(.lstat, .path("/src/y"), errno: EIO)           // the source cannot be read
    public func inject(_ operation: Operation, _ match: PathMatch, errno: Int32, times: Int? = 1) {
        storage.withLock { $0.faults.append(Fault(operation: operation, match: match, errno: errno, remaining: times)) }
    }

    public func inject(_ operation: Operation, path: String, errno: Int32, times: Int? = 1) {
        inject(operation, .path(path), errno: errno, times: times)
    }

    /// Runs `action` right after the next `times` calls of `operation` on a matching path, outside the
    /// lock (it may call the file system): a file that changes after it was listed.
    public func after(
        _ operation: Operation,
        _ match: PathMatch,
        times: Int? = 1,
        perform action: @escaping @Sendable (InMemoryFileSystem) -> Void
    ) {
        storage.withLock { $0.hooks.append(Hook(operation: operation, match: match, action: action, remaining: times)) }
    }

    /// Drops every fault and hook not used up yet.
    public func clearFaults() {
        storage.withLock { state in
            state.faults.removeAll()
            state.hooks.removeAll()
        }
    }

    // MARK: Building a tree

    /// `mkdir -p`, then the directory's mode (not masked by the umask), time and owner.
    @discardableResult
    public func directory(
        _ path: String,
        mode: UInt32 = 0o755,
        mtime: FileTime? = nil,
        uid: UInt32? = nil,
        gid: UInt32? = nil
    ) throws(SystemCallError) -> InMemoryFileSystem {
        try makeParents(path, including: true)
        try setAttributes(path, mode: mode, mtime: mtime, uid: uid, gid: gid)
        return self
    }

    /// A regular file with `contents`, made with its missing parents.
    @discardableResult
    public func file(
        _ path: String,
        _ contents: String = "",
        mode: UInt32 = 0o644,
        mtime: FileTime? = nil,
        uid: UInt32? = nil,
        gid: UInt32? = nil
    ) throws(SystemCallError) -> InMemoryFileSystem {
        try file(path, bytes: Array(contents.utf8), mode: mode, mtime: mtime, uid: uid, gid: gid)
    }

    @discardableResult
    public func file(
        _ path: String,
        bytes: [UInt8],
        mode: UInt32 = 0o644,
        mtime: FileTime? = nil,
        uid: UInt32? = nil,
        gid: UInt32? = nil
    ) throws(SystemCallError) -> InMemoryFileSystem {
        try makeParents(path, including: false)
        let handle = try createFile(Array(path.utf8), permissions: 0o600)
        let written = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemCallError) in try handle.write(raw, at: 0) }
        }
        try written.get()
        try setAttributes(path, mode: mode, mtime: mtime, uid: uid, gid: gid)
        return self
    }

    @discardableResult
    public func symlink(
        _ path: String,
        to target: String,
        mtime: FileTime? = nil
    ) throws(SystemCallError)
        -> InMemoryFileSystem
    {
        try makeParents(path, including: false)
        try makeSymlink(Array(path.utf8), target: Array(target.utf8))
        if let mtime { try setModificationTime(Array(path.utf8), mtime) }
        return self
    }

    @discardableResult
    public func hardLink(_ path: String, to existing: String) throws(SystemCallError) -> InMemoryFileSystem {
        try makeParents(path, including: false)
        try makeHardLink(Array(path.utf8), to: Array(existing.utf8))
        return self
    }

    /// A device, fifo or socket: `kind` with `mode`'s permission bits.
    @discardableResult
    public func node(
        _ path: String,
        _ kind: FileKind,
        mode: UInt32 = 0o644,
        rdev: UInt64 = 0,
        mtime: FileTime? = nil
    ) throws(SystemCallError) -> InMemoryFileSystem {
        let type: UInt32
        switch kind {
        case .characterDevice: type = 0o020000
        case .blockDevice: type = 0o060000
        case .fifo: type = 0o010000
        case .socket: type = 0o140000
        default: preconditionFailure("node(_:_:) makes devices, fifos and sockets")
        }
        try makeParents(path, including: false)
        try makeNode(Array(path.utf8), mode: type | (mode & 0o7777), rdev: rdev)
        try setAttributes(path, mode: mode, mtime: mtime, uid: nil, gid: nil)
        return self
    }

    /// Sets the time of `path` (without following a symlink): directories get theirs after their contents.
    public func setTime(_ path: String, _ time: FileTime) throws(SystemCallError) {
        try setModificationTime(Array(path.utf8), time)
    }

    /// Replaces a regular file's bytes in place (same inode, time moved to `now`): a file that changes
    /// after it was listed.
    public func rewrite(_ path: String, _ contents: String) throws(SystemCallError) {
        let handle = try openForUpdate(Array(path.utf8))
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { raw in
            Result { () throws(SystemCallError) in try handle.write(raw, at: 0) }
        }
        try written.get()
        try handle.truncate(to: Int64(bytes.count))
    }

    /// Puts the directory at `path`, and everything below it, on another device (a mount point, for `-x`).
    public func setDevice(_ path: String, _ device: UInt64) throws(SystemCallError) {
        try access(.lstat, Array(path.utf8)) { state throws(Errno) in
            var pending = [try state.existing(state.lookup(Array(path.utf8), followLast: false))]
            while let id = pending.popLast() {
                state.inodes[id]!.device = device
                pending += state.inodes[id]!.entries.values
            }
        }
    }

    /// Marks a file as one another run is writing (its lock is held): `isInUseByWriter` says so.
    public func setInUseByWriter(_ path: String, _ inUse: Bool = true) throws(SystemCallError) {
        try access(.lstat, Array(path.utf8)) { state throws(Errno) in
            let id = try state.existing(state.lookup(Array(path.utf8), followLast: false))
            state.inodes[id]!.markedInUse = inUse
        }
    }

    private func makeParents(_ path: String, including: Bool) throws(SystemCallError) {
        let normalised = State.normalise(Array(path.utf8), cwd: currentDirectory())
        var prefix: [UInt8] = []
        let parts = PathBytes.components(normalised)
        for part in including ? parts[...] : parts.dropLast() {
            prefix += [PathBytes.slash] + part
            if (try? lstat(prefix))?.kind == .directory { continue }
            try makeDirectory(prefix, permissions: 0o755)
        }
    }

    private func setAttributes(
        _ path: String,
        mode: UInt32,
        mtime: FileTime?,
        uid: UInt32?,
        gid: UInt32?
    )
        throws(SystemCallError)
    {
        let bytes = Array(path.utf8)
        try setPermissions(bytes, mode & 0o7777)
        if uid != nil || gid != nil { try setOwner(bytes, uid: uid, gid: gid) }
        if let mtime { try setModificationTime(bytes, mtime) }
    }

    // MARK: Looking at a tree

    /// One entry of `snapshot`, with what a test compares.
    public struct Entry: Sendable, Equatable, CustomStringConvertible {
        public var kind: FileKind
        public var permissions: UInt32
        public var mtime: FileTime
        public var uid: UInt32
        public var gid: UInt32
        public var inode: UInt64
        public var linkCount: UInt64
        public var rdev: UInt64
        /// A regular file's bytes, or a symlink's target.
        public var data: [UInt8]

        public var text: String { String(decoding: data, as: UTF8.self) }

        /// `f644 hello`, `d755`, `L -> target`, `D644 259` (rdev), `S644`.
        public var description: String {
            let letter = Character(UnicodeScalar(kind.itemizeLetter))
            switch kind {
            case .symlink: return "L -> \(text)"
            case .regular: return "f\(String(permissions, radix: 8)) \(text)"
            case .characterDevice, .blockDevice: return "\(letter)\(String(permissions, radix: 8)) \(rdev)"
            default: return "\(letter)\(String(permissions, radix: 8))"
            }
        }
    }

    /// Every entry below `root` (not `root` itself), by path relative to it, without following symlinks.
    public func snapshot(_ root: String) -> [String: Entry] {
        var result: [String: Entry] = [:]
        func visit(_ path: [UInt8], relative: String) {
            for name in (try? listDirectory(path)) ?? [] {
                let child = PathBytes.join(path, name)
                let childRelative =
                    relative.isEmpty
                    ? String(decoding: name, as: UTF8.self)
                    : relative + "/" + String(decoding: name, as: UTF8.self)
                guard let status = try? lstat(child) else { continue }
                var data: [UInt8] = []
                if status.kind == .symlink { data = (try? readLink(child)) ?? [] }
                if status.kind == .regular { data = storage.withLock { $0.inodes[status.inode]!.data } }
                result[childRelative] = Entry(
                    kind: status.kind,
                    permissions: status.permissions,
                    mtime: status.mtime,
                    uid: status.uid,
                    gid: status.gid,
                    inode: status.inode,
                    linkCount: status.linkCount,
                    rdev: status.rdev,
                    data: data
                )
                if status.kind == .directory { visit(child, relative: childRelative) }
            }
        }
        visit(Array(root.utf8), relative: "")
        return result
    }

    /// `snapshot` as sorted lines, `path description`: `["a f644 hello", "d d755", "d/l L -> ../a"]`.
    public func tree(_ root: String) -> [String] {
        snapshot(root).map { "\($0.key) \($0.value)" }.sorted()
    }

    /// A regular file's content as text; nil when `path` is no regular file.
    public func contents(_ path: String) -> String? {
        guard let status = try? lstat(Array(path.utf8)), status.kind == .regular else { return nil }
        return String(decoding: storage.withLock { $0.inodes[status.inode]!.data }, as: UTF8.self)
    }

    /// `lstat`, or nil when it fails.
    public func status(_ path: String) -> FileStatus? { try? lstat(Array(path.utf8)) }

    public func exists(_ path: String) -> Bool { status(path) != nil }
}
