/// `-K`/`--keep-dirlinks`: a destination symlink to a directory is kept and followed, but only when it
/// leads to a directory inside the destination. One that leads outside is refused, as rsync 3.5's
/// confined lookups refuse it: every entry below it fails with ELOOP ("Too many levels of symbolic
/// links"), nothing is written or deleted through it, and the run ends with 23.
struct KeptDirectoryLinks<FS: FileSystem> {
    let fs: FS
    /// The destination directory, resolved once.
    private var resolvedRoot: [UInt8]?

    init(fs: FS) { self.fs = fs }

    /// True when the symlink at `path` resolves to `root` or below it.
    mutating func leadsInside(_ path: [UInt8], root: [UInt8]) -> Bool {
        if resolvedRoot == nil { resolvedRoot = try? fs.resolvedPath(root) }
        guard let resolvedRoot, let target = try? fs.resolvedPath(path) else { return false }
        if target == resolvedRoot { return true }
        let prefix = resolvedRoot.last == PathBytes.slash ? resolvedRoot : resolvedRoot + [PathBytes.slash]
        return target.starts(with: prefix)
    }

    /// The error for an entry below a refused link, shaped as rsync's.
    static var refusal: (errno: Int32, text: String) { (SystemErrno.symlinkLoop, "Too many levels of symbolic links") }
}
