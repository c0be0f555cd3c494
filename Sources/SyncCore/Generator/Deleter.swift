/// Removes destination entries that the source no longer has (`--delete` and its timings), honouring
/// `--max-delete`, `-b` and the rule that nothing is deleted after a source I/O error.
public final class Deleter<FS: FileSystem> {
    let fs: FS
    let options: SyncOptions
    let observer: TransferObserver
    var receiver: Receiver<FS>

    public private(set) var deleted = TransferStats.KindCounts()
    public private(set) var skippedByMaxDelete = 0
    /// Files that could not be backed up and so were kept (exit 23).
    public private(set) var backupFailures = 0
    /// The first backup the `--backup-dir` rule refused: the generator ends the run with it.
    private(set) var refusedBackup: (destination: [UInt8], cause: SystemCallError)?
    private var warnedAboutIOError = false
    /// `--delete-delay` / `--delete-after`: extraneous names (relative to the destination root) found
    /// during the walk, removed at the end.
    private var deferred: [[UInt8]] = []
    /// The destination root, opened under the operator-path rule when first needed: every directory
    /// the deleter lists or deletes in is opened below it, never by its path.
    private var rootHandle: (any DirectoryHandle)?
    /// The receiver's side of the filter rules: what they exclude (or protect) is never deleted, unless
    /// `--delete-excluded`. Per-directory rules files are read from the destination, as rsync does.
    private var filters: FilterList?
    private var directoryRules: DirectoryRuleTracker
    /// A destination rules file failed; nothing more is deleted.
    private(set) var rulesError: SyncError?
    /// -K: nothing is deleted behind a kept symlink that leads outside the destination.
    private var keptLinks: KeptDirectoryLinks<FS>

    init(fs: FS, options: SyncOptions, observer: TransferObserver, receiver: Receiver<FS>) {
        self.fs = fs
        self.options = options
        self.observer = observer
        self.receiver = receiver
        self.filters = options.filterList
        self.keptLinks = KeptDirectoryLinks(fs: fs)
        self.directoryRules = DirectoryRuleTracker(isActive: options.filterList?.hasPerDirectoryRules ?? false)
    }

    /// True when the destination directory `name` and each directory above it (below the destination
    /// root) is a real directory. A symlink in its place is not followed: the generator replaces it
    /// with a directory, and until then nothing behind it may be deleted (rsync's `link_stat` check;
    /// `-K` keeps, and follows, symlinks to directories).
    private func isRealDirectory(_ name: [UInt8]) -> Bool {
        var prefix: [UInt8] = []
        for component in PathBytes.components(name) {
            prefix = PathBytes.join(prefix, component)
            let path = PathBytes.join(receiver.destinationRoot, prefix)
            guard let status = try? fs.lstat(path) else { return false }
            if status.kind == .directory { continue }
            guard options.keepDirLinks, status.kind == .symlink, (try? fs.stat(path))?.kind == .directory,
                keptLinks.leadsInside(path, root: receiver.destinationRoot)
            else {
                return false
            }
        }
        return true
    }

    /// Brings the per-directory rules to the destination directory `name` before it is examined.
    private func enterRulesDirectory(_ directory: [UInt8], name: [UInt8]) -> Bool {
        guard filters != nil, rulesError == nil else { return rulesError == nil }
        rulesError = directoryRules.enter(name, source: directory, filters: &filters!, fs: fs, role: .generator)
        if let rulesError { observer.error(rulesError.message, role: nil) }
        return rulesError == nil
    }

    /// True when the receiver's rules keep `name` from deletion (rsync "protecting file ...").
    private func isProtected(_ name: [UInt8], status: FileStatus, insideDeletedDirectory: Bool) -> Bool {
        guard let filters else { return false }
        let isDirectory = status.kind == .directory
        guard let match = filters.check(name, isDirectory: isDirectory, side: .receiver,
            ignorePerishable: insideDeletedDirectory)
        else { return false }
        if options.debugFilter > 0 {
            observer.info(match.debugLine(path: name, isDirectory: isDirectory, side: .receiver))
        }
        return !match.isIncluded
    }

    /// Deletes every entry of `directory` whose name is not in `keeping`, in rsync's order (reverse of
    /// the file-list order). `name` is the directory's name relative to the transfer root.
    public func deleteExtraneous(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>, ioError: Bool) {
        guard isRealDirectory(name), enterRulesDirectory(directory, name: name) else { return }
        let extraneous = extraneousEntries(in: directory, name: name, keeping: keeping)
        guard !extraneous.isEmpty else { return }
        if ioError && !options.ignoreErrors {
            warnIOError()
            return
        }
        for item in extraneous { deleteItem(item.location, name: item.name, status: item.status) }
    }

    /// Records extraneous entries for `runDeferred`.
    public func collectExtraneous(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>) {
        guard isRealDirectory(name), enterRulesDirectory(directory, name: name) else { return }
        for item in extraneousEntries(in: directory, name: name, keeping: keeping) {
            deferred.append(item.name)
        }
    }

    /// The destination directory `name` (relative to the root; "" for the root), opened below the
    /// root's handle without following a symlink on the way, so a directory swapped for one since the
    /// walk looked at it is not entered. With `-K` a kept link is followed (`isRealDirectory` checked
    /// where it leads), so the directory is opened by its path.
    func openDestination(_ name: [UInt8]) -> (any DirectoryHandle)? {
        if rootHandle == nil {
            rootHandle = try? fs.openOperatorDirectory(receiver.destinationRoot, confined: false)
        }
        guard let rootHandle else { return nil }
        if name.isEmpty || name == PathBytes.dot { return rootHandle }
        if options.keepDirLinks { return try? fs.openDirectory(PathBytes.join(receiver.destinationRoot, name)) }
        return try? fs.openDirectoryBeneath(name, in: rootHandle)
    }

    /// Where the entry `name` (relative to the root) is: its name in its parent, opened as above.
    func destinationLocation(_ name: [UInt8]) -> FileLocation? {
        let parent = PathBytes.parent(name)
        return openDestination(parent == PathBytes.dot ? [] : parent).map { FileLocation(PathBytes.lastComponent(name), in: $0) }
    }

    /// Deletes what `collectExtraneous` recorded, unless a source I/O error happened. `keepingParentTimes`:
    /// the directories' times were set from the source already (after the transfer); before it
    /// (`--delete-before`) they are not, and the transfer itemizes and sets them, as rsync's does.
    public func runDeferred(ioError: Bool, keepingParentTimes: Bool = true) {
        guard !deferred.isEmpty else { return }
        if ioError && !options.ignoreErrors {
            warnIOError()
            return
        }
        for name in deferred {
            if observer.isInterrupted { break }
            guard let location = destinationLocation(name),
                let status = try? fs.lstat(location.name, in: location.directory)
            else { continue }
            // The parent's time was already set from the source; keep it through the deletion.
            let parent = FileLocation(PathBytes.dot, in: location.directory)
            let keepsTime = keepingParentTimes && options.times && !options.omitDirTimes
            let parentTime = keepsTime ? (try? fs.lstat(PathBytes.dot, in: location.directory))?.mtime : nil
            deleteItem(location, name: name, status: status)
            if let parentTime, !options.dryRun { try? fs.setModificationTime(parent, parentTime) }
        }
        deferred.removeAll()
    }

    private func warnIOError() {
        guard !warnedAboutIOError else { return }
        warnedAboutIOError = true
        // rsync's FINFO: stdout, and not with -q.
        observer.info("IO error encountered -- skipping file deletion")
    }

    /// An entry to delete: where it is (its name in its open directory), its name relative to the
    /// transfer root, and what it was when looked at.
    struct Extraneous {
        var location: FileLocation
        var name: [UInt8]
        var status: FileStatus
    }

    /// Entries of the destination directory at `directory` not in `keeping` and not protected by the
    /// rules, in deletion order.
    private func extraneousEntries(in directory: [UInt8], name: [UInt8], keeping: Set<[UInt8]>) -> [Extraneous] {
        guard let handle = openDestination(name) else { return [] }
        return extraneousEntries(in: handle, name: name, keeping: keeping).entries
    }

    /// Entries of an open directory not in `keeping` and not protected by the rules, in deletion order:
    /// the directory listed is the one looked in and deleted from. `insideDeletedDirectory`: the
    /// directory itself is going, so perishable rules no longer protect. `hasProtected`: the rules keep
    /// something there.
    private func extraneousEntries(in handle: any DirectoryHandle, name: [UInt8], keeping: Set<[UInt8]>,
        insideDeletedDirectory: Bool = false) -> (entries: [Extraneous], hasProtected: Bool)
    {
        guard let names = try? fs.listDirectory(handle) else { return ([], false) }
        let directory = handle.path
        var entries: [FileEntry] = []
        var hasProtected = false
        let device = options.oneFileSystem > 1 ? (try? fs.lstat(PathBytes.dot, in: handle))?.device : nil
        for child in names {
            if let device, skipsMountPoint(child, in: handle, device: device, name: PathBytes.join(name, child)) {
                hasProtected = hasProtected || insideDeletedDirectory
                continue
            }
            // --shard: a top-level name another shard owns is that shard's to keep or delete.
            if !insideDeletedDirectory, let shard = options.shard, shard.leavesOut(child, in: name) { continue }
            if keeping.contains(child) {
                // rsync's receiver checks every destination entry, so --debug=FILTER names kept ones too.
                if options.debugFilter > 0, let status = try? fs.lstat(child, in: handle) {
                    _ = isProtected(PathBytes.join(name, child), status: status,
                        insideDeletedDirectory: insideDeletedDirectory)
                }
                continue
            }
            let path = PathBytes.join(directory, child)
            guard let status = try? fs.lstat(child, in: handle) else { continue }
            // Another run into the same destination is writing this temp file: it is not ours to delete.
            if status.kind == .regular && TemporaryName.looksTemporary(child)
                && fs.isInUseByWriter(FileLocation(child, in: handle))
            {
                continue
            }
            let childName = PathBytes.join(name, child)
            if isProtected(childName, status: status, insideDeletedDirectory: insideDeletedDirectory) {
                hasProtected = true
                continue
            }
            entries.append(FileEntry(name: childName, sourcePath: path, status: status))
        }
        FileListOrder.sort(&entries)
        let extraneous = entries.reversed().map {
            Extraneous(location: FileLocation(PathBytes.lastComponent($0.name), in: handle), name: $0.name,
                status: $0.status)
        }
        return (extraneous, hasProtected)
    }

    /// `-x`: a destination directory on another file system than its parent is never deleted, nor is
    /// anything in it: rsync's generator says "cannot delete mount point" (`-xx`: "skipping mount-point dir",
    /// as its scan leaves it out), and one inside a directory being deleted pins that directory.
    private func isMountPoint(_ location: FileLocation, status: FileStatus, name: [UInt8], nested: Bool) -> Bool {
        guard options.oneFileSystem > 0, status.kind == .directory,
            let parent = try? fs.lstat(PathBytes.dot, in: location.directory), parent.device != status.device
        else { return false }
        let shown = OutputEscaper.escape(name, highBytes: options.highBytes)
        if options.oneFileSystem > 1 {
            // Left out of the scan already (`skipsMountPoint`).
        } else if nested {
            // rsync's --debug=del line, on with -vv.
            if options.verbose > 1 && !options.quiet { observer.info("mount point, \(shown), pins parent directory") }
        } else if options.showsMountPoints {
            observer.info("cannot delete mount point: \(shown)")
        }
        return true
    }

    /// `-xx`: a directory on another device than the one scanned (`device`) is left out of the scan, kept
    /// entries too, as rsync's generator leaves it out of its list of the destination.
    private func skipsMountPoint(_ child: [UInt8], in handle: any DirectoryHandle, device: UInt64, name: [UInt8]) -> Bool {
        guard let status = try? fs.lstat(child, in: handle), status.kind == .directory, status.device != device else {
            return false
        }
        if options.showsMountPoints {
            observer.info("[generator] skipping mount-point dir \(OutputEscaper.escape(name, highBytes: options.highBytes))")
        }
        return true
    }

    /// Deletes one entry (rsync's `delete_item`); a directory's contents go first, each reported, and a
    /// directory is entered through its parent's handle, never through a symlink put in its place.
    /// Returns whether the entry and everything inside it are gone (a dry run's `rmdir` of a directory
    /// that keeps something is reported, yet its parent is not empty: rsync's order). A directory the
    /// deletion started from (`nested` false) that keeps something is left without trying `rmdir`; one
    /// inside it is tried, and its failure reported too, as rsync reports both.
    @discardableResult
    func deleteItem(_ location: FileLocation, name: [UInt8], status: FileStatus, nested: Bool = false) -> Bool {
        if isMountPoint(location, status: status, name: name, nested: nested) { return false }
        let contentsGone = status.kind != .directory || deleteContents(ofDirectory: location, name: name)
        if !contentsGone && !nested { return false }
        if let limit = options.maxDelete, deleted.total >= limit {
            skippedByMaxDelete += 1
            return false
        }
        if !options.dryRun {
            do {
                if status.kind == .directory {
                    try fs.removeDirectory(location)
                } else if options.backup && !isBackupFile(name) {
                    guard backUp(location, name: name) else { return false }
                } else {
                    try fs.removeFile(location)
                }
            } catch {
                // Gone already (another run took it): nothing to delete, nothing to report (rsync's too).
                if error.errno == SystemErrno.noSuchEntry { return true }
                if status.kind == .directory && (error.errno == SystemErrno.notEmpty || error.errno == SystemErrno.exists) {
                    // Something inside was kept (protected, or a backup made in place).
                    reportNotEmpty(name)
                    return false
                }
                observer.error("delete_file: \(error.describing(call: status.kind == .directory ? "rmdir" : "unlink"))",
                    role: .generator)
                return false
            }
        }
        deleted.add(status.kind)
        observer.reportDeletion(name: name, kind: status.kind)
        return contentsGone
    }

    /// rsync's `delete_dir_contents`: deletes what is inside the directory, and says so once when
    /// something stays (protected by the rules, held back by `--max-delete`, or failing). Returns
    /// whether it is empty now.
    private func deleteContents(ofDirectory location: FileLocation, name: [UInt8]) -> Bool {
        guard let handle = try? fs.openDirectory(location, followingSymlink: false) else { return true }
        let contents = extraneousEntries(in: handle, name: name, keeping: [], insideDeletedDirectory: true)
        var emptied = !contents.hasProtected
        for child in contents.entries {
            if !deleteItem(child.location, name: child.name, status: child.status, nested: true) { emptied = false }
        }
        if !emptied { reportNotEmpty(name) }
        return emptied
    }

    private func reportNotEmpty(_ name: [UInt8]) {
        observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(name, highBytes: options.highBytes))")
    }

    /// Deletes (and reports) everything inside `path`, to make way for a non-directory.
    func deleteContents(of path: [UInt8], name: [UInt8]) {
        for child in extraneousEntries(in: path, name: name, keeping: []) {
            deleteItem(child.location, name: child.name, status: child.status)
        }
    }

    /// `-b` while replacing a directory: back up the files inside, then remove the tree. Each
    /// directory is entered through its parent's handle without following a symlink.
    func backupTree(_ location: FileLocation, path: [UInt8], name: [UInt8]) {
        guard let status = try? fs.lstat(location.name, in: location.directory) else { return }
        if status.kind == .directory, let directory = try? fs.openDirectory(location, followingSymlink: false) {
            for child in (try? fs.listDirectory(directory)) ?? [] {
                backupTree(FileLocation(child, in: directory), path: PathBytes.join(path, child),
                    name: PathBytes.join(name, child))
            }
            try? fs.removeDirectory(location)
        } else if status.kind != .directory {
            // A file that cannot be backed up stays where it is (rsync's delete_item), reported.
            backUp(location, name: name)
        }
    }

    /// rsync's `is_backup_file`: without --backup-dir, a file that already ends in the suffix is deleted
    /// outright rather than backed up again.
    private func isBackupFile(_ name: [UInt8]) -> Bool {
        let suffix = options.effectiveSuffix
        return options.backupDir == nil && !suffix.isEmpty && name.count > suffix.count && name.suffix(suffix.count).elementsEqual(suffix)
    }

    /// Moves `path` to its backup name; on failure reports it and leaves the file alone.
    @discardableResult
    private func backUp(_ location: FileLocation, name: [UInt8]) -> Bool {
        do {
            if let line = try receiver.makeBackup(location, path: location.path, name: name) { observer.info(line) }
            return true
        } catch {
            backupFailures += 1
            if case .destination(let failure) = error {
                observer.error("[generator] make_backup failed: \(failure.description)", role: nil)
            }
            if case .backupRefused(let destination, let cause) = error, refusedBackup == nil {
                refusedBackup = (destination, cause)
            }
            return false
        }
    }
}
