import CSyncShims
import Glibc
import SyncCore

/// The operator's paths opened under rsync's rule for symlinks (`SymlinkTrust`): `csync_open_trusted`
/// walks the path a component at a time from "/" or the current directory, following a symlink only
/// when root or the effective user owns it, and the descriptor it returns is of what that walk reached.
extension PosixFileSystem {
    public func openOperatorDirectory(_ path: [UInt8], confined: Bool) throws(SystemCallError)
        -> any DirectoryHandle
    {
        let descriptor = try openTrusted(path, flags: O_RDONLY | O_DIRECTORY, call: "opendir", confined: confined)
        return PosixDirectoryHandle(descriptor: descriptor, path: path)
    }

    public func readOperatorFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] {
        let descriptor = try openTrusted(path, flags: O_RDONLY, call: "open", confined: true)
        defer { close(descriptor) }
        return try Self.readAll(descriptor, path: path)
    }

    /// Opens the operator's file at `path` for reading (`--read-batch`).
    public func openOperatorFileForReading(_ path: [UInt8]) throws(SystemCallError) -> Int32 {
        try openTrusted(path, flags: O_RDONLY, call: "open", confined: false)
    }

    /// Opens the operator's file at `path` for appending (`--log-file`), creating it (mode 0644).
    public func openOperatorFileForAppending(_ path: [UInt8]) throws(SystemCallError) -> Int32 {
        try openTrusted(path, flags: O_WRONLY | O_APPEND | O_CREAT, mode: 0o644, call: "open", confined: false)
    }

    private func openTrusted(_ path: [UInt8], flags: Int32, mode: UInt32 = 0, call: String, confined: Bool)
        throws(SystemCallError) -> Int32
    {
        if trust.followsAnyOwner {
            return try withCPath(path) { pointer throws(SystemCallError) in
                try syscall(call, path) { open(pointer, flags | O_CLOEXEC, mode) }
            }
        }
        let confine = confined ? trust.confineRoot : nil
        var refused: Int32 = 0
        let descriptor = withCPathOrEmpty(path) { pointer in
            if let confine {
                return withCPathOrEmpty(confine) { root in csync_open_trusted(pointer, flags, mode, root, nil, 0, &refused) }
            }
            return csync_open_trusted(pointer, flags, mode, nil, nil, 0, &refused)
        }
        if descriptor >= 0 { return descriptor }
        var error = systemError(call, path, errno)
        switch refused {
        case 1: error.refusal = .untrustedSymlink
        case 2: error.refusal = .outsideConfineRoot
        case 3: error.refusal = .swappedMeanwhile
        default: break
        }
        throw error
    }
}

/// `body` with a NUL-terminated copy of `path` (a path with a NUL inside is cut there, as C would).
private func withCPathOrEmpty<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    var copy = path.prefix { $0 != 0 }.map { CChar(bitPattern: $0) }
    copy.append(0)
    return copy.withUnsafeBufferPointer { body($0.baseAddress!) }
}
