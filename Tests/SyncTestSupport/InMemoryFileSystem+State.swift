import Glibc
import SyncCore

extension InMemoryFileSystem {
    /// The calls a test can make fail (`inject`) or follow with a change (`after`), by the name of the
    /// `FileSystem` method, with the system call a failure names.
    ///
    /// A handle-relative call is its path call's operation, by the entry's full path; `listDirectory` is
    /// also `openDirectory` (both `opendir`).
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case lstat, stat, listDirectory, readLink, resolvedPath
        case makeDirectory, makeSymlink, makeHardLink, makeNode, rename, removeFile, removeDirectory
        case setPermissions, setOwner, setModificationTime
        /// Every open: `openForReading`, `createFile`, `openForUpdate`, and inside `copyFile`, `readFile`
        /// and `checksum`.
        case open
        /// A read or write through an open file, by the path it was opened with (a copy's source, its temp
        /// file); `size` is `fstat`.
        case read, write, truncate, fstat

        /// The call `PosixFileSystem` names in its error.
        public var call: String {
            switch self {
            case .lstat: return "lstat"
            case .stat: return "stat"
            case .listDirectory: return "opendir"
            case .readLink: return "readlink"
            case .resolvedPath: return "realpath"
            case .makeDirectory: return "mkdir"
            case .makeSymlink: return "symlink"
            case .makeHardLink: return "link"
            case .makeNode: return "mknod"
            case .rename: return "rename"
            case .removeFile: return "unlink"
            case .removeDirectory: return "rmdir"
            case .setPermissions: return "chmod"
            case .setOwner: return "lchown"
            case .setModificationTime: return "utimensat"
            case .open: return "open"
            case .read: return "read"
            case .write: return "write"
            case .truncate: return "ftruncate"
            case .fstat: return "fstat"
            }
        }
    }

    /// Which paths an injected fault or a hook applies to.
    public struct PathMatch: Sendable {
        let matches: @Sendable ([UInt8]) -> Bool

        public init(_ matches: @escaping @Sendable ([UInt8]) -> Bool) { self.matches = matches }

        /// Exactly this path (made absolute, without `.`, `..` or doubled slashes; symlinks not resolved).
        public static func path(_ path: String) -> PathMatch {
            let wanted = State.normalise(Array(path.utf8), cwd: [PathBytes.slash])
            return PathMatch { $0 == wanted }
        }

        /// Any entry directly inside `directory` (a temp file whose random name a test cannot know).
        public static func inDirectory(_ directory: String) -> PathMatch {
            let wanted = State.normalise(Array(directory.utf8), cwd: [PathBytes.slash])
            return PathMatch { PathBytes.parent($0) == wanted && $0 != wanted }
        }

        /// `directory` and anything below it.
        public static func below(_ directory: String) -> PathMatch {
            let wanted = State.normalise(Array(directory.utf8), cwd: [PathBytes.slash])
            return PathMatch {
                $0 == wanted || $0.starts(with: wanted + (wanted == [PathBytes.slash] ? [] : [PathBytes.slash]))
            }
        }

        public static var any: PathMatch { PathMatch { _ in true } }
    }

    struct Fault {
        var operation: Operation
        var match: PathMatch
        var errno: Int32
        /// How many more calls fail; nil: every one.
        var remaining: Int?
    }

    struct Hook {
        typealias Action = @Sendable (InMemoryFileSystem) -> Void
        var operation: Operation
        var match: PathMatch
        var action: Action
        var remaining: Int?
    }

    struct Call {
        var operation: Operation
        var path: [UInt8]
    }

    /// One inode: a directory's entries, a regular file's bytes or a symlink's target, and the `stat` facts.
    struct Inode {
        var mode: UInt32
        var uid: UInt32
        var gid: UInt32
        var mtime: FileTime
        var atime: Int64 = 0
        var device: UInt64
        var rdev: UInt64 = 0
        /// A regular file's content, or a symlink's target.
        var data: [UInt8] = []
        var entries: [[UInt8]: UInt64] = [:]
        /// Directory entries that name this inode.
        var links: UInt64 = 0
        /// Open handles made by `createFile` (or `copyFile`) not released yet: PosixFileSystem's writer lock.
        var openWriters = 0
        /// Set by a test: another run is writing this file.
        var markedInUse = false

        init(mode: UInt32, uid: UInt32, gid: UInt32, mtime: FileTime, device: UInt64) {
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.mtime = mtime
            self.device = device
        }

        var kind: FileKind { FileKind(mode: mode) }
    }

    /// Where a path leads: the directory that holds (or would hold) its last component, that name, and
    /// the inode, nil when the name does not exist. `chain` is the directories walked, the root first.
    struct Found {
        var parent: UInt64
        var name: [UInt8]
        var inode: UInt64?
        var chain: [(id: UInt64, name: [UInt8])]
    }

    struct State {
        static let rootInode: UInt64 = 1
        /// Linux's limit on symlinks followed in one lookup (MAXSYMLINKS).
        static let maxSymlinks = 40

        var inodes: [UInt64: Inode] = [:]
        var nextInode: UInt64 = 2
        var now: FileTime
        var umask: UInt32
        var uid: UInt32
        var gid: UInt32
        var cwd: [UInt8] = [PathBytes.slash]
        var capacity: Int64?
        var faults: [Fault] = []
        var hooks: [Hook] = []
        var calls: [Call] = []

        init(now: FileTime, umask: UInt32, uid: UInt32, gid: UInt32) {
            self.now = now
            self.umask = umask
            self.uid = uid
            self.gid = gid
        }

        var usedBytes: Int64 {
            inodes.values.reduce(0) { $0 + ($1.kind == .regular && $1.links > 0 ? Int64($1.data.count) : 0) }
        }

        // MARK: Paths

        func normalise(_ path: [UInt8]) -> [UInt8] { Self.normalise(path, cwd: cwd) }

        /// `path` made absolute, lexically: `.` and empty components dropped, `..` taking one off.
        static func normalise(_ path: [UInt8], cwd: [UInt8]) -> [UInt8] {
            var parts: [[UInt8]] = path.first == PathBytes.slash ? [] : PathBytes.components(cwd)
            for part in PathBytes.components(path) {
                if part == [0x2E, 0x2E] {
                    if !parts.isEmpty { parts.removeLast() }
                } else {
                    parts.append(part)
                }
            }
            return parts.isEmpty ? [PathBytes.slash] : parts.flatMap { [PathBytes.slash] + $0 }
        }

        /// Resolves `path` as the kernel does: symlinks are followed in every component before the last,
        /// and in the last one when `followLast` (or when the path ends in a slash).
        /// A relative `path` starts from `start` (the directories down to an open one) when given, else
        /// from the current directory.
        func lookup(
            _ path: [UInt8],
            followLast: Bool,
            from start: [(id: UInt64, name: [UInt8])]? = nil
        ) throws(Errno) -> Found {
            guard !path.isEmpty else { throw Errno(ENOENT) }
            let trailingSlash = path.count > 1 && path.last == PathBytes.slash
            var chain: [(id: UInt64, name: [UInt8])] = [(Self.rootInode, [])]
            if path.first != PathBytes.slash {
                if let start {
                    chain = start
                } else {
                    chain = try walk(PathBytes.components(cwd)[...], from: chain, hops: 0).chain
                }
            }
            var hops = 0
            var parts = PathBytes.components(path)[...]
            while let part = parts.first {
                parts = parts.dropFirst()
                let directory = chain.last!.id
                guard inodes[directory]!.kind == .directory else { throw Errno(ENOTDIR) }
                if part == [0x2E, 0x2E] {
                    if chain.count > 1 { chain.removeLast() }
                    continue
                }
                let isLast = parts.isEmpty
                guard let child = inodes[directory]!.entries[part] else {
                    if isLast { return Found(parent: directory, name: part, inode: nil, chain: chain) }
                    throw Errno(ENOENT)
                }
                let childInode = inodes[child]!
                if childInode.kind == .symlink && (!isLast || followLast || trailingSlash) {
                    hops += 1
                    guard hops <= Self.maxSymlinks else { throw Errno(ELOOP) }
                    if childInode.data.first == PathBytes.slash { chain = [(Self.rootInode, [])] }
                    if childInode.data.isEmpty { throw Errno(ENOENT) }
                    parts = (PathBytes.components(childInode.data) + parts)[...]
                    if parts.isEmpty { break }  // a link to "/" (or to ".")
                    continue
                }
                if isLast {
                    if trailingSlash && childInode.kind != .directory { throw Errno(ENOTDIR) }
                    return Found(parent: directory, name: part, inode: child, chain: chain)
                }
                chain.append((child, part))
            }
            // The path named a directory by "/", "." or "..": the last directory walked.
            let id = chain.last!.id
            guard inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            let parent = chain.count > 1 ? chain[chain.count - 2].id : id
            return Found(parent: parent, name: chain.last!.name, inode: id, chain: Array(chain.dropLast()))
        }

        private func walk(
            _ parts: ArraySlice<[UInt8]>,
            from chain: [(id: UInt64, name: [UInt8])],
            hops: Int
        )
            throws(Errno) -> (chain: [(id: UInt64, name: [UInt8])], hops: Int)
        {
            var chain = chain
            for part in parts {
                guard let child = inodes[chain.last!.id]!.entries[part], inodes[child]!.kind == .directory else {
                    throw Errno(ENOENT)
                }
                chain.append((child, part))
            }
            return (chain, hops)
        }

        /// Resolves the entry `name` of the directory inode `directory` (an open directory: the inode, not
        /// its path, so a rename or a symlink put in place of its path does not redirect the lookup). An
        /// unlinked directory holds nothing and takes no new entry (ENOENT).
        func lookup(_ name: [UInt8], in directory: UInt64, followLast: Bool) throws(Errno) -> Found {
            guard directory == Self.rootInode || inodes[directory]!.links > 0 else { throw Errno(ENOENT) }
            guard name.first != PathBytes.slash else { throw Errno(EINVAL) }
            return try lookup(name, followLast: followLast, from: chain(to: directory))
        }

        /// The directories from the root down to `directory`, found by their entries (a directory has one
        /// parent); an unlinked directory's chain is itself alone.
        func chain(to directory: UInt64) -> [(id: UInt64, name: [UInt8])] {
            var chain: [(id: UInt64, name: [UInt8])] = []
            var current = directory
            while current != Self.rootInode {
                let parent = inodes.lazy.compactMap { id, inode -> (id: UInt64, name: [UInt8])? in
                    guard inode.kind == .directory, let entry = inode.entries.first(where: { $0.value == current })
                    else { return nil }
                    return (id, entry.key)
                }.first
                guard let parent else { return [(current, [])] + chain }
                chain.insert((current, parent.name), at: 0)
                current = parent.id
            }
            return [(Self.rootInode, [])] + chain
        }

        func existing(_ found: Found) throws(Errno) -> UInt64 {
            guard let id = found.inode else { throw Errno(ENOENT) }
            return id
        }

        // MARK: Inodes

        func status(_ found: Found) throws(Errno) -> FileStatus {
            let id = try existing(found)
            let inode = inodes[id]!
            var links = inode.links
            var size = Int64(inode.data.count)
            if inode.kind == .directory {
                links = 2 + UInt64(inode.entries.values.filter { inodes[$0]!.kind == .directory }.count)
                size = 4096
            }
            var status = FileStatus(
                mode: inode.mode,
                size: size,
                mtime: inode.mtime,
                uid: inode.uid,
                gid: inode.gid,
                device: inode.device,
                inode: id,
                linkCount: links,
                rdev: inode.rdev
            )
            status.atime = inode.atime
            return status
        }

        /// Makes a new inode at `found` (EEXIST when the name is taken), owned by the process, dated now.
        mutating func create(_ found: Found, mode: UInt32) throws(Errno) -> UInt64 {
            guard found.inode == nil else { throw Errno(EEXIST) }
            let id = nextInode
            nextInode += 1
            inodes[id] = Inode(mode: mode, uid: uid, gid: gid, mtime: now, device: inodes[found.parent]!.device)
            try link(id, into: found.parent, as: found.name)
            return id
        }

        mutating func link(_ id: UInt64, into directory: UInt64, as name: [UInt8]) throws(Errno) {
            guard inodes[directory]!.kind == .directory else { throw Errno(ENOTDIR) }
            guard inodes[directory]!.entries[name] == nil else { throw Errno(EEXIST) }
            inodes[directory]!.entries[name] = id
            inodes[directory]!.mtime = now
            inodes[id]!.links += 1
        }

        mutating func unlink(_ name: [UInt8], from directory: UInt64) {
            guard let id = inodes[directory]!.entries.removeValue(forKey: name) else { return }
            inodes[directory]!.mtime = now
            inodes[id]!.links -= 1
        }

        /// rename(2) without RENAME_NOREPLACE: replaces a non-directory with a non-directory, or an empty
        /// directory with a directory; neither last component is followed.
        mutating func rename(_ from: [UInt8], _ to: [UInt8]) throws(Errno) {
            let source = try lookup(from, followLast: false)
            _ = try existing(source)
            try rename(source, to: lookup(to, followLast: false))
        }

        /// rename(2) of the entry `source` to `target`, both looked up already.
        mutating func rename(_ source: Found, to target: Found) throws(Errno) {
            let moving = try existing(source)
            guard !source.name.isEmpty, !target.name.isEmpty else { throw Errno(EBUSY) }
            guard inodes[target.parent]!.kind == .directory else { throw Errno(ENOTDIR) }
            if let replaced = target.inode {
                if replaced == moving { return }  // two names of one inode: rename does nothing
                let replacedKind = inodes[replaced]!.kind
                if inodes[moving]!.kind == .directory {
                    guard replacedKind == .directory else { throw Errno(ENOTDIR) }
                    guard inodes[replaced]!.entries.isEmpty else { throw Errno(ENOTEMPTY) }
                } else if replacedKind == .directory {
                    throw Errno(EISDIR)
                }
            }
            // A directory cannot move below itself.
            if inodes[moving]!.kind == .directory
                && (target.chain.contains { $0.id == moving } || target.parent == moving)
            {
                throw Errno(EINVAL)
            }
            if target.inode != nil { unlink(target.name, from: target.parent) }
            unlink(source.name, from: source.parent)
            try link(moving, into: target.parent, as: target.name)
        }

        // MARK: Faults and hooks

        /// The errno of the first fault for `operation` on one of `paths`, counting it down.
        mutating func takeFault(_ operation: Operation, paths: [[UInt8]]) -> Int32? {
            guard
                let index = faults.firstIndex(where: { fault in
                    fault.operation == operation && paths.contains { fault.match.matches($0) }
                })
            else { return nil }
            let code = faults[index].errno
            if let remaining = faults[index].remaining {
                if remaining <= 1 { faults.remove(at: index) } else { faults[index].remaining = remaining - 1 }
            }
            return code
        }

        /// The hooks due after this call, counting each down.
        mutating func takeHooks(_ operation: Operation, paths: [[UInt8]]) -> [Hook.Action] {
            var due: [Hook.Action] = []
            var kept: [Hook] = []
            for var hook in hooks {
                guard hook.operation == operation, paths.contains(where: { hook.match.matches($0) }) else {
                    kept.append(hook)
                    continue
                }
                due.append(hook.action)
                if let remaining = hook.remaining {
                    if remaining <= 1 { continue }
                    hook.remaining = remaining - 1
                }
                kept.append(hook)
            }
            hooks = kept
            return due
        }
    }
}
