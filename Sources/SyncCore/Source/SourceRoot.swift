/// A directory the sender reads below without leaving it: the open handle of a source directory the
/// user named (or of one reached through a symlink that `-L`/`-k`/`--copy-unsafe-links` follow), and
/// how many leading bytes of each source path below it name the root.
///
/// The remote sender answers a request for a listed file long after its directory's listing, so it
/// keeps no handle per directory (a no-op over a million directories would hold a million
/// descriptors); it opens `relativePath` below the root instead, and the kernel refuses any symlink or
/// ".." on the way (`FileSystem.openBeneath`), so a directory swapped meanwhile cannot redirect it.
public final class SourceRoot: Sendable {
    public let directory: any DirectoryHandle
    private let prefixLength: Int

    /// The root `directory`, opened at `path`, below which entries are named `join(path, name)`.
    public init(directory: any DirectoryHandle, path: [UInt8]) {
        self.directory = directory
        self.prefixLength = PathBytes.joinedPrefixLength(path)
    }

    /// The part of `sourcePath` (a path built below the root) after the root.
    public func relativePath(of sourcePath: [UInt8]) -> [UInt8] {
        Array(sourcePath[min(prefixLength, sourcePath.count)...])
    }
}

/// Where a listed regular file's data is read again after its listing: below its root, confined, or
/// (a file reached through a followed symlink, or named on the command line) by its path.
public enum ListedFileAddress: Sendable {
    case beneath(SourceRoot, relativePath: [UInt8])
    case path([UInt8])

    public init(_ entry: FileEntry) {
        if let root = entry.sourceRoot {
            self = .beneath(root, relativePath: root.relativePath(of: entry.sourcePath))
        } else {
            self = .path(entry.sourcePath)
        }
    }

    /// The file's path, for messages.
    public var path: [UInt8] {
        switch self {
        case .beneath(let root, let relativePath): return PathBytes.join(root.directory.path, relativePath)
        case .path(let path): return path
        }
    }
}

extension FileSystem {
    /// The listed entry's name in its directory, opened below its root (no symlink followed on the
    /// way), or through its parent's path for an entry named by path.
    public func locationOfListedFile(_ address: ListedFileAddress) throws(SystemCallError) -> FileLocation {
        switch address {
        case .beneath(let root, let relativePath):
            let parent = PathBytes.parent(relativePath)
            let directory = parent.isEmpty || parent == PathBytes.dot
                ? root.directory : try openDirectoryBeneath(parent, in: root.directory)
            return FileLocation(PathBytes.lastComponent(relativePath), in: directory)
        case .path(let path):
            return FileLocation(path: path)
        }
    }

    /// Opens a listed file for reading from its address.
    public func openListedFile(_ address: ListedFileAddress) throws(SystemCallError) -> any OpenFile {
        switch address {
        case .beneath(let root, let relativePath): return try openBeneath(relativePath, in: root.directory)
        case .path(let path): return try openForReading(path)
        }
    }
}

extension OpenFile {
    /// The whole-file checksum (`-c`) of what is left to read from the start.
    public func checksum() throws(SystemCallError) -> FileChecksum {
        let hash = StreamingHash()
        try forEachChunk { hash.update($0) }
        return hash.finish()
    }

    /// The whole file's strong digest under `checksum` (`%C`).
    public func digest(_ checksum: ChecksumChoice) throws(SystemCallError) -> StrongDigest {
        let digester = FileDigester(checksum)
        try forEachChunk { digester.update($0) }
        return digester.finish()
    }

    /// Hands `body` the file's bytes from the start, a chunk at a time.
    private func forEachChunk(_ body: (UnsafeRawBufferPointer) -> Void) throws(SystemCallError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while true {
            let count = try read(into: buffer, at: offset)
            if count == 0 { break }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
    }
}

extension SystemCallError {
    /// The entry is gone from where it was listed: removed (ENOENT), or a component on the way swapped
    /// for a symlink (ELOOP), a file (ENOTDIR) or something leading out (EXDEV). rsync counts it as a
    /// vanished file (exit 24), not an I/O error.
    public var isGoneFromListedPlace: Bool {
        errno == SystemErrno.noSuchEntry || errno == SystemErrno.symlinkLoop || errno == SystemErrno.notDirectory
            || errno == SystemErrno.crossDevice
    }
}
