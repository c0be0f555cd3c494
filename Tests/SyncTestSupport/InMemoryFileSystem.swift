import Glibc
import SyncCore
import Synchronization

/// A `FileSystem` held in memory, for small tests of SyncCore's decisions (the generator, the file-list
/// builder, the deleter) without temp directories. Modelled on SwiftPM's `MockFileSystem` and restic's
/// `internal/fs` interface, and on the Linux semantics `PosixFileSystem` gets from Glibc:
///
/// - directories, regular files, symlinks, devices, fifos and sockets, each an inode with a mode, an owner,
///   a group and a modification time; hard links share an inode and count its links;
/// - lookups follow symlinks in every component but the last (`lstat`, `readLink`, `rename`, `unlink`,
///   `lchown`, `utimensat`, `link`) or in that one too (`stat`, `open`, `opendir`, `chmod`, `realpath`);
/// - `openDirectory` gives a handle on the directory's inode: the handle-relative calls look their name up
///   in it, whatever its path leads to later, and never follow a symlink there (`InMemoryDirectoryHandle`);
/// - errors are `SystemCallError`s with the call name `PosixFileSystem` gives (`mkdir`, `rename`, `unlink`,
///   `open`, `read`, `write`, ...) and Glibc's `strerror` text, e.g. `rename "/d/x" failed: Is a directory (21)`;
/// - new files and directories get `permissions & ~umask`, the owner `uid`/`gid`, and the time `now`;
///   adding or removing an entry sets its directory's time to `now`, as a real directory's time moves;
/// - `inject(_:path:errno:)` makes chosen calls fail, and `after(_:path:perform:)` changes the tree right
///   after a call (a source that shrinks once it was listed).
///
/// Thread-safe: one `Mutex` guards the whole state (the generator writes on worker threads).
public final class InMemoryFileSystem: FileSystem {
    let storage: Mutex<State>

    /// The device number of every inode not placed on another device with `setDevice(_:_:)`.
    public static let rootDevice: UInt64 = 0x801
    /// The time new entries get until a test sets `now`.
    public static let defaultNow = FileTime(seconds: 1_800_000_000)

    public init(umask: UInt32 = 0o022, uid: UInt32 = 1000, gid: UInt32 = 1000) {
        var state = State(now: Self.defaultNow, umask: umask, uid: uid, gid: gid)
        state.inodes[State.rootInode] = Inode(
            mode: 0o040755,
            uid: 0,
            gid: 0,
            mtime: Self.defaultNow,
            device: Self.rootDevice
        )
        state.inodes[State.rootInode]!.links = 1
        storage = Mutex(state)
    }

    // MARK: The clock, the process, the disk

    /// The time given to entries created or changed from now on.
    public var now: FileTime {
        get { storage.withLock { $0.now } }
        set { storage.withLock { $0.now = newValue } }
    }

    /// The bytes regular files may hold in all; a write past it fails with ENOSPC (nil: no limit).
    public var capacity: Int64? {
        get { storage.withLock { $0.capacity } }
        set { storage.withLock { $0.capacity = newValue } }
    }

    /// The bytes all regular files hold now (each inode once).
    public var usedBytes: Int64 { storage.withLock { $0.usedBytes } }

    public func currentDirectory() -> [UInt8] { storage.withLock { $0.cwd } }

    /// Sets the directory relative paths start from (`/` by default).
    public func changeDirectory(_ path: String) { storage.withLock { $0.cwd = Array(path.utf8) } }

    /// Every call made so far, in order, with the path as given (normalised: absolute, no `.` or `//`).
    public var calls: [(operation: Operation, path: String)] {
        storage.withLock { state in state.calls.map { ($0.operation, String(decoding: $0.path, as: UTF8.self)) } }
    }

    // MARK: FileSystem: looking

    public func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        try access(.lstat, path) { state throws(Errno) in try state.status(state.lookup(path, followLast: false)) }
    }

    public func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus {
        try access(.stat, path) { state throws(Errno) in try state.status(state.lookup(path, followLast: true)) }
    }

    public func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]] {
        try access(.listDirectory, path) { state throws(Errno) in
            let id = try state.existing(state.lookup(path, followLast: true))
            guard state.inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            // readdir's order is the directory's own, not sorted: keep callers from relying on one.
            return state.inodes[id]!.entries.keys.sorted { $0.reversed().lexicographicallyPrecedes($1.reversed()) }
        }
    }

    public func readLink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        try access(.readLink, path) { state throws(Errno) in
            let id = try state.existing(state.lookup(path, followLast: false))
            guard state.inodes[id]!.kind == .symlink else { throw Errno(EINVAL) }
            return state.inodes[id]!.data
        }
    }

    public func readFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        // Read to the end as PosixFileSystem does, so that a directory fails in `read` with EISDIR.
        let file = try openForReading(path)
        var content: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: Self.chunkSize)
        while true {
            let offset = Int64(content.count)
            let read = chunk.withUnsafeMutableBytes { buffer in
                Result { () throws(SystemCallError) in try file.read(into: buffer, at: offset) }
            }
            let count = try read.get()
            if count == 0 { return content }
            content += chunk[0..<count]
        }
    }

    public func resolvedPath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        try access(.resolvedPath, path) { state throws(Errno) in
            let found = try state.lookup(path, followLast: true)
            _ = try state.existing(found)
            let names = found.chain.dropFirst().map(\.name) + (found.name.isEmpty ? [] : [found.name])
            return names.isEmpty ? [PathBytes.slash] : names.flatMap { [PathBytes.slash] + $0 }
        }
    }

    public func isInUseByWriter(_ path: [UInt8]) -> Bool {
        storage.withLock { state in
            guard let found = try? state.lookup(path, followLast: false), let id = found.inode else { return false }
            return state.inodes[id]!.openWriters > 0 || state.inodes[id]!.markedInUse
        }
    }

    public func checksum(_ path: [UInt8]) throws(SystemCallError) -> FileChecksum {
        let file = try openForReading(path)
        let hash = StreamingHash()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try file.read(into: buffer, at: offset)
            if count == 0 { return hash.finish() }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
    }

    // MARK: FileSystem: making and removing

    public func makeDirectory(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) {
        try access(.makeDirectory, path) { state throws(Errno) in
            _ = try state.create(state.lookup(path, followLast: false), mode: 0o040000 | (permissions & ~state.umask))
        }
    }

    public func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemCallError) {
        try access(.makeSymlink, path) { state throws(Errno) in
            let id = try state.create(state.lookup(path, followLast: false), mode: 0o120777)
            state.inodes[id]!.data = target
        }
    }

    public func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
        try access(.makeHardLink, path, also: existing) { state throws(Errno) in
            let source = try state.existing(state.lookup(existing, followLast: false))
            guard state.inodes[source]!.kind != .directory else { throw Errno(EPERM) }
            let found = try state.lookup(path, followLast: false)
            guard found.inode == nil else { throw Errno(EEXIST) }
            try state.link(source, into: found.parent, as: found.name)
        }
    }

    public func makeNode(_ path: [UInt8], mode: UInt32, rdev: UInt64) throws(SystemCallError) {
        try access(.makeNode, path) { state throws(Errno) in
            let type = mode & 0o170000
            guard [0o020000, 0o060000, 0o010000, 0o140000, 0o100000, 0].contains(type) else { throw Errno(EINVAL) }
            let permissions = mode & 0o7777 & ~state.umask
            let id = try state.create(
                state.lookup(path, followLast: false),
                mode: (type == 0 ? 0o100000 : type) | permissions
            )
            if FileKind(mode: mode).isDevice { state.inodes[id]!.rdev = rdev }
        }
    }

    public func rename(_ from: [UInt8], to: [UInt8]) throws(SystemCallError) {
        // PosixFileSystem names the target in a failed rename.
        try access(.rename, to, also: from) { state throws(Errno) in try state.rename(from, to) }
    }

    public func removeFile(_ path: [UInt8]) throws(SystemCallError) {
        try access(.removeFile, path) { state throws(Errno) in
            let found = try state.lookup(path, followLast: false)
            let id = try state.existing(found)
            guard state.inodes[id]!.kind != .directory else { throw Errno(EISDIR) }
            state.unlink(found.name, from: found.parent)
        }
    }

    public func removeDirectory(_ path: [UInt8]) throws(SystemCallError) {
        try access(.removeDirectory, path) { state throws(Errno) in
            let found = try state.lookup(path, followLast: false)
            let id = try state.existing(found)
            guard state.inodes[id]!.kind == .directory else { throw Errno(ENOTDIR) }
            guard !found.name.isEmpty else { throw Errno(EBUSY) }  // "/"
            guard state.inodes[id]!.entries.isEmpty else { throw Errno(ENOTEMPTY) }
            state.unlink(found.name, from: found.parent)
        }
    }

    // MARK: FileSystem: attributes

    public func setPermissions(_ path: [UInt8], _ permissions: UInt32) throws(SystemCallError) {
        // PosixFileSystem calls fchmodat with no flags, which follows a symlink to its target.
        try access(.setPermissions, path) { state throws(Errno) in
            let id = try state.existing(state.lookup(path, followLast: true))
            state.inodes[id]!.mode = (state.inodes[id]!.mode & 0o170000) | (permissions & 0o7777)
        }
    }

    public func setOwner(_ path: [UInt8], uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
        try access(.setOwner, path) { state throws(Errno) in
            let id = try state.existing(state.lookup(path, followLast: false))
            if let uid { state.inodes[id]!.uid = uid }
            if let gid { state.inodes[id]!.gid = gid }
        }
    }

    public func setModificationTime(_ path: [UInt8], _ time: FileTime) throws(SystemCallError) {
        try access(.setModificationTime, path) { state throws(Errno) in
            let id = try state.existing(state.lookup(path, followLast: false))
            state.inodes[id]!.mtime = time
        }
    }

    // MARK: FileSystem: data

    /// The bytes a whole-file copy moves per step (and per `progress` call).
    public static let chunkSize = 64 * 1024

    public func copyFile(
        from source: [UInt8],
        toNew temporaryPath: [UInt8],
        permissions: UInt32,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        // The stages PosixFileSystem gives a copy's errors, so the receiver can tell the sides apart.
        let input: InMemoryOpenFile
        do { input = try open(source, forWriting: false, creating: nil) } catch { throw error.at(.openSource) }
        let output: InMemoryOpenFile
        do { output = try open(temporaryPath, forWriting: true, creating: permissions) } catch {
            throw error.at(.createTemporary)
        }
        do throws(SystemCallError) {
            return try copy(from: input, to: output, length: length, progress: progress)
        } catch {
            // As PosixFileSystem: an interrupted copy is left for the receiver (--partial keeps it).
            if error.errno != EINTR { try? removeFile(temporaryPath) }
            throw error
        }
    }

    public func copyFileInPlace(
        from source: [UInt8],
        to destination: [UInt8],
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        let input: InMemoryOpenFile
        do { input = try open(source, forWriting: false, creating: nil) } catch { throw error.at(.openSource) }
        let output = try open(destination, forWriting: true, creating: nil)
        let written = try copy(from: input, to: output, length: length, progress: progress)
        try output.truncate(to: written)
        return written
    }

    public func openForReading(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        try open(path, forWriting: false, creating: nil)
    }

    public func createFile(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) -> any OpenFile {
        do { return try open(path, forWriting: true, creating: permissions) } catch { throw error.at(.createTemporary) }
    }

    public func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
        try open(path, forWriting: true, creating: nil)
    }

    /// `open`: `creating` is the mode of a file made exclusively (O_CREAT | O_EXCL); a writer is counted
    /// on the inode (the lock PosixFileSystem takes on a new file) until the handle is released.
    /// With `place`, the entry `name` of an open directory's inode (`openat`), by `path` in messages: a
    /// symlink there is refused (O_NOFOLLOW, ELOOP) unless `followingSymlink`.
    func open(
        _ path: [UInt8],
        forWriting: Bool,
        creating: UInt32?,
        at place: (directory: UInt64, name: [UInt8])? = nil,
        followingSymlink: Bool = false
    ) throws(SystemCallError) -> InMemoryOpenFile {
        let id = try access(.open, path) { state throws(Errno) -> UInt64 in
            let found: Found
            if let place {
                let follow = creating == nil && followingSymlink
                found = try state.lookup(place.name, in: place.directory, followLast: follow)
                if creating == nil, let id = found.inode, !follow, state.inodes[id]!.kind == .symlink {
                    throw Errno(ELOOP)
                }
            } else {
                found = try state.lookup(path, followLast: creating == nil)
            }
            let id: UInt64
            if let creating {
                id = try state.create(found, mode: 0o100000 | (creating & 0o7777 & ~state.umask))
            } else {
                id = try state.existing(found)
                if forWriting && state.inodes[id]!.kind == .directory { throw Errno(EISDIR) }
            }
            if creating != nil { state.inodes[id]!.openWriters += 1 }
            return id
        }
        return InMemoryOpenFile(
            fs: self,
            inode: id,
            path: path,
            isWritable: forWriting,
            isLockedWriter: creating != nil
        )
    }

    /// FileCopier's contract (its read/write loop; copy_file_range has no in-memory counterpart): exactly `length` bytes (a shorter source is a `read` ENODATA error on it),
    /// or to the end when nil; `progress` returning false stops with a `write` EINTR.
    func copy(
        from input: InMemoryOpenFile,
        to output: InMemoryOpenFile,
        length: Int64?,
        progress: (Int64) -> Bool
    ) throws(SystemCallError) -> Int64 {
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let want = length.map { Int(min(Int64(buffer.count), $0 - total)) } ?? buffer.count
            if want == 0 { return total }
            let count: Int
            do {
                count = try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: total)
            } catch {
                throw error.at(.readSource)
            }
            if count == 0 {
                if let length, total < length { throw Self.error("read", input.path, ENODATA).at(.readSource) }
                return total
            }
            try output.write(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), at: total)
            total += Int64(count)
            if !progress(total) { throw Self.error("write", output.path, EINTR) }
        }
    }

    // MARK: The lock around every call

    /// Runs `body` on the state under the lock, after the injected faults for `operation` had their say,
    /// and then the hooks registered for it. `also` is a second path the call takes (a rename's source);
    /// a fault or hook for either path applies. Errors name `path` and the operation's call.
    func access<T>(
        _ operation: Operation,
        _ path: [UInt8],
        also other: [UInt8]? = nil,
        _ body: (inout State) throws(Errno) -> T
    ) throws(SystemCallError) -> T {
        let outcome: (result: Result<T, Errno>, hooks: [Hook.Action]) = storage.withLock { state in
            let paths = [state.normalise(path)] + (other.map { [state.normalise($0)] } ?? [])
            state.calls.append(Call(operation: operation, path: paths[0]))
            let hooks = state.takeHooks(operation, paths: paths)
            if let code = state.takeFault(operation, paths: paths) { return (.failure(Errno(code)), hooks) }
            do throws(Errno) {
                return (.success(try body(&state)), hooks)
            } catch {
                return (.failure(error), hooks)
            }
        }
        for hook in outcome.hooks { hook(self) }
        switch outcome.result {
        case .success(let value): return value
        case .failure(let failure): throw Self.error(operation.call, path, failure.code)
        }
    }

    /// A `SystemCallError` as PosixFileSystem makes it: the call, the path and errno with its text.
    public static func error(_ call: String, _ path: [UInt8], _ code: Int32) -> SystemCallError {
        SystemCallError(call: call, path: path, errno: code, errnoText: String(cString: strerror(code)))
    }
}

/// An errno from inside the lock; the public methods turn it into a `SystemCallError`.
struct Errno: Error {
    var code: Int32
    init(_ code: Int32) { self.code = code }
}
