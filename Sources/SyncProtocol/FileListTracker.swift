import SyncCore

/// The receiving side's view of the streamed file list: gives each entry its file index and full path, and
/// checks that chunks arrive in a sequence a correct sender produces (rsync's incremental recursion:
/// `recv_file_list` per directory, `flist_ndx_push`).
///
/// - The first chunk is the root chunk; later chunks list a directory already received, once.
/// - A chunk marked `continues` must be followed by the next chunk of the same directory.
/// - Within a directory, names are single components in strictly increasing rsync order (non-directories
///   first, directories compared as if they ended in "/"), so there are no duplicates.
/// - With `--iconv` (`sendersOrder`), names come in the order the sender sorted them in its own charset, which
///   their UTF-8 forms need not keep: non-directories still first, no name twice.
/// - Full paths stay within `maxPathLength`; the list within `maxFileCount` entries.
public struct FileListTracker: Sendable {
    public struct ResolvedEntry: Sendable, Equatable {
        /// The file index requests, itemize records and file ends refer to.
        public var index: Int
        /// The path relative to the transfer root.
        public var path: [UInt8]
        public var entry: WireFileEntry
    }

    private struct OpenDirectory: Sendable {
        var index: Int?
        var path: [UInt8]
        var last: (name: [UInt8], isDirectory: Bool)?
        /// The non-directories listed so far: the order alone lets a directory repeat a file's name
        /// (files sort first), which would make one name both a symlink and a directory.
        var fileNames: Set<[UInt8]> = []
    }

    public let limits: ProtocolLimits
    /// `--iconv`: names in the sender's order, not byte order (duplicates refused by name instead).
    public let sendersOrder: Bool
    /// Entries received so far; the next entry gets this index.
    public private(set) var count = 0
    /// True after `finish()`.
    public private(set) var isComplete = false
    /// Which entries are directories and which regular files, a bit each: the list's only per-entry memory
    /// here (a byte per entry was a megabyte a million files).
    private var directories = EntryBits()
    private var regularFiles = EntryBits()
    /// Directories received but not yet listed, by index.
    private var unlisted: [Int: [UInt8]] = [:]
    private var open: OpenDirectory?
    private var rootSeen = false
    private var rootNames: Set<[UInt8]> = []

    public init(limits: ProtocolLimits = .standard, sendersOrder: Bool = false) {
        self.limits = limits
        self.sendersOrder = sendersOrder
    }

    /// Checks a chunk and returns its entries with their indices and full paths.
    public mutating func accept(_ chunk: FileListChunk) throws(ProtocolError) -> [ResolvedEntry] {
        guard !isComplete else { throw .sequence("file-list chunk after the end of the file list") }
        guard chunk.entries.count <= limits.maxFileCount - count else {
            throw .limit("file list of more than \(limits.maxFileCount) entries")
        }
        var directory: OpenDirectory
        if let current = open {
            guard current.index == chunk.directoryIndex else {
                throw .sequence("chunk for directory \(describe(chunk.directoryIndex)) while \(describe(current.index)) continues")
            }
            directory = current
        } else if let index = chunk.directoryIndex {
            guard rootSeen else { throw .sequence("chunk for directory \(index) before the root chunk") }
            guard let path = unlisted.removeValue(forKey: index) else {
                throw .sequence(index >= 0 && index < count && directories[index]
                    ? "directory \(index) listed twice" : "chunk for file \(index), which is not a directory received")
            }
            directory = OpenDirectory(index: index, path: path)
        } else {
            guard !rootSeen else { throw .sequence("a second root chunk") }
            rootSeen = true
            directory = OpenDirectory(index: nil, path: [])
        }
        var resolved: [ResolvedEntry] = []
        resolved.reserveCapacity(chunk.entries.count)
        for entry in chunk.entries {
            let path: [UInt8]
            let isDirectory = entry.kind == .directory
            if directory.index == nil {
                // One component: a path through a directory (which might be a symlink) is never a name.
                try PathValidation.validateRelativePath(entry.name, allowsRoot: true, limits: limits)
                if entry.name != PathBytes.dot { try PathValidation.validateComponent(entry.name, limits: limits) }
                guard rootNames.insert(entry.name).inserted else {
                    throw .sequence("file list names \(PathValidation.quoted(entry.name)) twice")
                }
                path = entry.name
            } else {
                try PathValidation.validateComponent(entry.name, limits: limits)
                if let last = directory.last,
                    sendersOrder ? last.isDirectory && !isDirectory
                        : !Self.precedes(last.name, last.isDirectory, entry.name, isDirectory)
                {
                    throw .sequence("file list out of order: \(PathValidation.quoted(entry.name)) after "
                        + "\(PathValidation.quoted(last.name)) in \(PathValidation.quoted(directory.path))")
                }
                if sendersOrder {
                    // Any order: every name is remembered to refuse one listed twice.
                    guard directory.fileNames.insert(entry.name).inserted else {
                        throw .sequence("file list names \(PathValidation.quoted(entry.name)) twice in "
                            + PathValidation.quoted(directory.path))
                    }
                } else if isDirectory {
                    guard !directory.fileNames.contains(entry.name) else {
                        throw .sequence("file list names \(PathValidation.quoted(entry.name)) twice in \(PathValidation.quoted(directory.path))")
                    }
                } else {
                    directory.fileNames.insert(entry.name)
                }
                path = PathBytes.join(directory.path, entry.name)
                guard path.count <= limits.maxPathLength else {
                    throw .unsafePath("file name of \(path.count) bytes (limit \(limits.maxPathLength))")
                }
            }
            directory.last = (entry.name, isDirectory)
            if isDirectory { unlisted[count] = path }
            directories.append(entry.kind == .directory, at: count)
            regularFiles.append(entry.kind == .regular, at: count)
            resolved.append(ResolvedEntry(index: count, path: path, entry: entry))
            count += 1
        }
        if chunk.continues {
            open = directory
        } else {
            open = nil
            if directory.index == nil { rootNames = [] }
        }
        return resolved
    }

    /// Call on `fileListDone`: no directory may still be open.
    public mutating func finish() throws(ProtocolError) {
        guard !isComplete else { throw .sequence("fileListDone twice") }
        guard rootSeen else { throw .sequence("fileListDone before any file list") }
        guard open == nil else { throw .sequence("fileListDone while a directory's chunks continue") }
        isComplete = true
        unlisted = [:]
    }

    /// Checks that `index` names a regular file received so far (what requests and file data may refer to).
    public func checkRegularFile(_ index: Int) throws(ProtocolError) {
        guard index >= 0 && index < count else { throw .sequence("file index \(index) is not in the file list") }
        guard regularFiles[index] else { throw .sequence("file index \(index) is not a regular file") }
    }

    /// rsync's order within one directory: non-directories first, then directories as if ending in "/".
    static func precedes(_ a: [UInt8], _ aDir: Bool, _ b: [UInt8], _ bDir: Bool) -> Bool {
        if aDir != bDir { return !aDir }
        let count = min(a.count, b.count)
        for i in 0..<count where a[i] != b[i] { return a[i] < b[i] }
        if a.count == b.count { return false }
        if !aDir { return a.count < b.count }
        return a.count < b.count ? PathBytes.slash < b[count] : a[count] < PathBytes.slash
    }

    private func describe(_ index: Int?) -> String { index.map { "\($0)" } ?? "root" }
}

/// One bit per file index, 64 to a word, appended in index order.
struct EntryBits: Sendable {
    private var words: [UInt64] = []

    /// Sets the bit of `index`, the next index (every index is appended once, in order).
    mutating func append(_ bit: Bool, at index: Int) {
        if index >> 6 >= words.count { words.append(0) }
        if bit { words[index >> 6] |= 1 << UInt64(index & 63) }
    }

    subscript(index: Int) -> Bool { words[index >> 6] >> UInt64(index & 63) & 1 == 1 }
}
