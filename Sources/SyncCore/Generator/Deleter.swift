/// Removes destination entries that the source no longer has (`--delete` and its timings), honouring
/// `--max-delete`, `-b` and the rule that nothing is deleted after a source I/O error.
public final class Deleter<FS: FileSystem> {
    let fs: FS
    let options: SyncOptions
    let observer: TransferObserver
    var receiver: Receiver<FS>

    public private(set) var deleted = TransferStats.KindCounts()
    public private(set) var skippedByMaxDelete = 0
    private var warnedAboutIOError = false
    /// `--delete-delay` / `--delete-after`: extraneous names found during the walk, removed at the end.
    private var deferred: [(path: [UInt8], name: [UInt8])] = []

    init(fs: FS, options: SyncOptions, observer: TransferObserver, receiver: Receiver<FS>) {
        self.fs = fs
        self.options = options
        self.observer = observer
        self.receiver = receiver
    }

    /// Deletes every entry of `directory` whose name is not in `keeping`, in rsync's order (reverse of
    /// the file-list order). `name` is the directory's name relative to the transfer root.
    public func deleteExtraneous(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>, ioError: Bool) {
        let extraneous = extraneousEntries(in: directory, name: name, keeping: keeping)
        guard !extraneous.isEmpty else { return }
        if ioError && !options.ignoreErrors {
            warnIOError()
            return
        }
        for item in extraneous { deleteItem(item.path, name: item.name, status: item.status) }
    }

    /// Records extraneous entries for `runDeferred`.
    public func collectExtraneous(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>) {
        for item in extraneousEntries(in: directory, name: name, keeping: keeping) {
            deferred.append((item.path, item.name))
        }
    }

    /// Deletes what `collectExtraneous` recorded, unless a source I/O error happened.
    public func runDeferred(ioError: Bool) {
        guard !deferred.isEmpty else { return }
        if ioError && !options.ignoreErrors {
            warnIOError()
            return
        }
        for item in deferred {
            guard let status = try? fs.lstat(item.path) else { continue }
            // The parent's time was already set from the source; keep it through the deletion.
            let parent = PathBytes.parent(item.path)
            let parentTime = options.times && !options.omitDirTimes ? (try? fs.lstat(parent))?.mtime : nil
            deleteItem(item.path, name: item.name, status: status)
            if let parentTime, !options.dryRun { try? fs.setModificationTime(parent, parentTime) }
        }
        deferred.removeAll()
    }

    private func warnIOError() {
        guard !warnedAboutIOError else { return }
        warnedAboutIOError = true
        observer.error("IO error encountered -- skipping file deletion", role: nil)
    }

    private func extraneousEntries(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>)
        -> [(path: [UInt8], name: [UInt8], status: FileStatus)]
    {
        guard let names = try? fs.listDirectory(directory) else { return [] }
        var entries: [FileEntry] = []
        for child in names where !keeping.contains(child) {
            let path = PathBytes.join(directory, child)
            guard let status = try? fs.lstat(path) else { continue }
            entries.append(FileEntry(name: PathBytes.join(name, child), sourcePath: path, status: status))
        }
        FileListOrder.sort(&entries)
        return entries.reversed().map { ($0.sourcePath, $0.name, $0.status) }
    }

    /// Deletes one entry; a directory's contents go first, each reported.
    func deleteItem(_ path: [UInt8], name: [UInt8], status: FileStatus) {
        if status.kind == .directory {
            let skippedBefore = skippedByMaxDelete
            let children = extraneousEntries(in: path, name: name, keeping: [])
            for child in children { deleteItem(child.path, name: child.name, status: child.status) }
            if skippedByMaxDelete > skippedBefore {
                observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(name))")
                return
            }
        }
        if let limit = options.maxDelete, deleted.total >= limit {
            skippedByMaxDelete += 1
            return
        }
        if !options.dryRun {
            do {
                if status.kind == .directory {
                    try fs.removeDirectory(path)
                } else if options.backup {
                    do { try receiver.makeBackup(path, name: name) } catch { return }
                } else {
                    try fs.removeFile(path)
                }
            } catch {
                if status.kind == .directory && (error.errno == 39 || error.errno == 17) { return }  // ENOTEMPTY
                observer.error("delete_file: \(error.describing(call: status.kind == .directory ? "rmdir" : "unlink"))",
                    role: .generator)
                return
            }
        }
        deleted.add(status.kind)
        observer.reportDeletion(name: name, kind: status.kind)
    }

    /// Deletes (and reports) everything inside `path`, to make way for a non-directory.
    func deleteContents(of path: [UInt8], name: [UInt8]) {
        for child in extraneousEntries(in: path, name: name, keeping: []) {
            deleteItem(child.path, name: child.name, status: child.status)
        }
    }

    /// `-b` while replacing a directory: back up the files inside, then remove the tree.
    func backupTree(_ path: [UInt8], name: [UInt8]) {
        guard let status = try? fs.lstat(path) else { return }
        if status.kind == .directory {
            for child in (try? fs.listDirectory(path)) ?? [] {
                backupTree(PathBytes.join(path, child), name: PathBytes.join(name, child))
            }
            try? fs.removeDirectory(path)
        } else if (try? receiver.makeBackup(path, name: name)) == nil {
            try? fs.removeFile(path)
        }
    }
}
