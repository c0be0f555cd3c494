/// One file-list entry: what the sender found at a source path, named relative to the transfer root.
public struct FileEntry: Sendable {
    /// The path the destination will use, relative to the transfer root ("." for the root itself).
    public var name: [UInt8]
    /// Where the sender reads it.
    public var sourcePath: [UInt8]
    public var status: FileStatus
    public var symlinkTarget: [UInt8]?
    /// A parent directory of a `-R` source: entered even without `-r` to reach the named paths, and
    /// under `--no-implied-dirs` not sent at all, only made when missing.
    public var isImpliedDirectory = false
    /// `--match-full-path`: a directory the rules exclude, entered only to reach included paths below it.
    /// It is not sent; the receiver makes it when something inside it is sent.
    public var isPassedThrough = false
    /// A `-R` source named with a trailing slash: its immediate contents are listed even without `-r`.
    public var listsContents = false
    /// A directory with paths named below it (`--files-from` lists "b" and "b/c/f"): entered to reach
    /// them even without `-r`.
    public var leadsToNamedPaths = false
    /// `--delete-missing-args`: a named source that does not exist, sent so that the receiver deletes
    /// its counterpart (rsync's "missing" file-list entry, mode 0).
    public var isMissingArgument = false
    /// A symlink in the source that `-L`, `-k` or `--copy-unsafe-links` follow: the entry is its referent.
    public var isFollowedSymlink = false
    /// A local run: the open source directory it was listed in, through which its data is read.
    public var sourceDirectory: (any DirectoryHandle)?
    /// A regular file listed below a source root (not through a followed symlink): the root, below
    /// which the remote sender opens it again when asked for its data (`ListedFileAddress`).
    public var sourceRoot: SourceRoot?
    /// A remote run: the entry's position in the sender's file list, by which its data is requested.
    public var fileIndex = -1
    /// A remote run with `-c`: the whole-file checksum the sender computed.
    public var checksum: FileChecksum?
    /// `-X`/`-A`: the extended attributes and ACLs the sender listed (nil: none, or neither option).
    public var securityAttributes: SecurityAttributes?

    public init(name: [UInt8], sourcePath: [UInt8], status: FileStatus, symlinkTarget: [UInt8]? = nil) {
        self.name = name
        self.sourcePath = sourcePath
        self.status = status
        self.symlinkTarget = symlinkTarget
    }

    public var kind: FileKind { status.kind }
    /// False for directories that are only walked through: `-R` implied ones under `--no-implied-dirs`,
    /// and those excluded in full-path mode.
    public func isSent(impliedDirs: Bool) -> Bool {
        !isPassedThrough && !(isImpliedDirectory && !impliedDirs)
    }
    public var isDirectory: Bool { status.kind == .directory }

    /// The size rsync counts toward "Total file size": file length, or a symlink's target length.
    public var countedSize: Int64 {
        switch kind {
        case .regular: return status.size
        case .symlink: return Int64(symlinkTarget?.count ?? 0)
        default: return 0
        }
    }
}

/// rsync's file-list order within one directory (rsync `flist.c`, `f_name_cmp`, protocol ≥ 29):
/// non-directories first, by bytes; then directories, compared as if their names ended in "/".
public enum FileListOrder {
    /// Sorts one directory's entries. `sharedPrefix` bytes lead every name (the directory's own path
    /// and its slash) and are skipped when comparing.
    public static func sort(_ entries: inout [FileEntry], sharedPrefix: Int = 0) {
        guard entries.count > 1 else { return }
        // Sorts positions rather than the entries themselves: moving a three-array struct costs
        // retains and releases on every swap.
        var order = [Int32](unsafeUninitializedCapacity: entries.count) { buffer, count in
            for i in 0..<buffer.count { buffer[i] = Int32(i) }
            count = buffer.count
        }
        // The keys apart, so a comparison reads two names, not two copies of whole entries.
        let names = entries.map(\.name)
        let isDirectory = entries.map(\.isDirectory)
        names.withUnsafeBufferPointer { names in
            isDirectory.withUnsafeBufferPointer { isDirectory in
                order.sort { i, j in
                    let aDir = isDirectory[Int(i)]
                    if aDir != isDirectory[Int(j)] { return !aDir }
                    return compare(names[Int(i)], names[Int(j)], from: sharedPrefix, asDirectories: aDir) < 0
                }
            }
        }
        var sorted: [FileEntry] = []
        sorted.reserveCapacity(entries.count)
        for i in order { sorted.append(entries[Int(i)]) }
        entries = sorted
    }

    static func lessAsDirectory(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        compare(a, b, asDirectories: true) < 0
    }

    /// Byte order of two names; directories compare as if their names ended in "/".
    @inline(__always)
    static func compare(_ a: [UInt8], _ b: [UInt8], from start: Int = 0, asDirectories: Bool) -> Int {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let count = min(a.count, b.count)
                var i = min(start, count)
                while i < count {
                    if a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
                    i += 1
                }
                if a.count == b.count { return 0 }
                if !asDirectories { return a.count < b.count ? -1 : 1 }
                // The shorter name continues with "/".
                if a.count < b.count { return PathBytes.slash < b[count] ? -1 : 1 }
                return a[count] < PathBytes.slash ? -1 : 1
            }
        }
    }
}

extension FileEntry {
    /// The whole-file checksum (`-c`): the sender's, or one read now through the directory the entry
    /// was listed in (a local run), never by its path.
    func sourceChecksum<FS: FileSystem>(fs: FS, followingSymlink: Bool) -> FileChecksum? {
        if let checksum { return checksum }
        guard let sourceDirectory else { return try? fs.checksum(sourcePath) }
        let location = FileLocation(PathBytes.lastComponent(sourcePath), in: sourceDirectory)
        return try? fs.openSource(location, followingSymlink: followingSymlink).checksum()
    }
}
