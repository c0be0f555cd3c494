/// The generator: walks the file list one directory at a time, compares each entry with the destination,
/// and decides what the receiver must do (create, update attributes, transfer, link, delete).
///
/// A local run wires generator, sender and receiver in one process: the sender's file list comes from
/// `FileListBuilder`, file data is read from the source path by the receiver's copy.
public final class Generator<FS: FileSystem> {
    let fs: FS
    let options: SyncOptions
    let observer: TransferObserver
    var receiver: Receiver<FS>
    let check: QuickCheck
    var builder: FileListBuilder<FS>
    let deleter: Deleter<FS>

    public private(set) var stats = TransferStats()
    /// A per-file error happened (exit 23).
    public private(set) var hadErrors = false
    /// Set once SIGINT/SIGTERM stopped the run (exit 20).
    public private(set) var wasInterrupted = false
    /// A per-directory rules file failed, or the disk is full: the walk stops, no deletions follow,
    /// and the run ends with this error.
    var fatalError: SyncError?
    /// Set by the first write that finds the disk full, for the copy workers still holding jobs.
    let diskFull = StopFlag()
    /// -K: where kept destination symlinks lead, and the names of those that lead outside.
    var keptLinks: KeptDirectoryLinks<FS>
    var linksLeadingOutside: Set<[UInt8]> = []
    /// Dry run: the outermost directory that would have been created; entries below it are missing.
    var dryRunMissingBelow: [UInt8]?
    /// Full-path mode: excluded directories being walked through, not made yet.
    var passedThrough: [FileEntry] = []
    /// Files sent a second time (`--append-verify` failures): the notice and the line, for the end of the pass.
    var redoReports: [(notice: String, item: ItemizedChange)] = []
    /// Full-path mode: passed-through directories made because something inside was sent.
    var madePassedThrough: [[UInt8]: DirectoryState] = [:]

    /// The destination directory did not exist and was created by this run.
    var createdDestination = false
    /// Where the transfer root lands in the destination.
    var destinationRoot: [UInt8] = []
    /// When the destination names a file, the single source file is written under this name.
    var renamedSingleFile: [UInt8]?
    /// -H: source (device, inode) → the destination name of the member transferred.
    var hardLinkLeaders: [HardLinkGroups.Key: [UInt8]] = [:]
    /// -H: members held back until their group's leader is known.
    var hardLinkGroups = HardLinkGroups()
    /// Set while held-back members are processed at the end of the run.
    var isLinkingLateMembers = false
    /// Directories whose time must be set again after late hard links.
    var directoriesToRefinish: [(entry: FileEntry, isNew: Bool)] = []
    /// Resolved `--link-dest`/`--copy-dest`/`--compare-dest` roots.
    var alternateRoots: [[UInt8]] = []
    /// Parallel writers for whole-file copies (nil when output must follow each copy, as with --progress).
    var copyWorkers: CopyWorkers<PendingWrite, WriteOutcome>?
    /// For progress lines: entries of the root listing, and entries checked so far.
    var rootEntryCount = 0
    var rootListedSize: Int64 = 0
    var entriesDone = 0
    /// The sender's listings, made ahead on another thread.
    var fileList: (any ListingSource)?
    /// A source could not be read (rsync's `io_error`): no deletions from then on.
    var senderIOError = false
    /// A source vanished while it was listed (exit 24).
    var senderVanished = false
    /// A remote run: the sender in the other process.
    var link: SenderLink?
    /// A remote run: directories whose contents were requested but may not have arrived yet. Their
    /// time and permissions are set once every write submitted before them is done, so the
    /// generator never waits a round trip per directory.
    var directoriesAwaitingWrites: [(entry: FileEntry, isNew: Bool, writesBefore: Int)] = []
    var writesSubmitted = 0
    var writesFinished = 0
    /// A remote run: files whose rebuilt data failed the whole-file check, to ask for again whole.
    var remoteRedos: [(entry: FileEntry, job: Receiver<FS>.WriteJob, isNew: Bool)] = []
    var redoneFiles: Set<Int> = []

    public init(fs: FS, options: SyncOptions, observer: TransferObserver) {
        self.fs = fs
        self.options = options
        self.observer = observer
        let interruptCheck = observer.interruptCheck
        self.receiver = Receiver(fs: fs, options: options, isInterrupted: interruptCheck)
        self.check = QuickCheck(options: options)
        self.builder = FileListBuilder(fs: fs, options: options)
        self.deleter = Deleter(fs: fs, options: options, observer: observer, receiver: receiver)
        self.keptLinks = KeptDirectoryLinks(fs: fs)
    }

    /// Starts the copy workers once the receiver knows the destination.
    private func startCopyWorkers() {
        let remote = link != nil
        if !options.dryRun && (remote || options.copyWorkers > 1 && !options.progress && !options.progressTotal) {
            let receiver = self.receiver
            // A remote run with --progress shows each file from the writer as its data arrives; the
            // observer of a remote run is safe to call from there (SyncRemote's LockedObserver).
            let progress = showsProgressFromWriter ? UncheckedObserver(observer) : nil
            let diskFull = diskFull
            // A remote run writes one file at a time in request order, with many requests in flight.
            copyWorkers = CopyWorkers(capacity: remote ? Self.requestWindow : options.copyWorkers * 4,
                serial: remote) { pending in
                if let progress, let item = pending.item {
                    progress.observer.report(item)
                    progress.observer.transferStarted(name: pending.entry.name, size: pending.entry.status.size)
                }
                // After a full disk the queued files are not started (rsync stops at the first).
                let result = diskFull.isSet ? .failure(.skipped) : Result { () throws(WriteFailure) -> Receiver<FS>.WriteResult in
                    try receiver.write(pending.job, progress: { bytes in progress?.observer.transferProgress(bytes: bytes) })
                }
                if case .failure(.failed(let error, _)) = result, error.isOutOfSpace { diskFull.set() }
                if let progress, pending.item != nil {
                    let succeeded = (try? result.get()) != nil
                    progress.observer.transferFinished(bytes: succeeded ? pending.entry.status.size : -1)
                }
                return WriteOutcome(entry: pending.entry, isNew: pending.isNew, result: result, job: pending.job)
            }
        } else {
            copyWorkers = nil
        }
    }

    /// A remote run with `--progress`: the writer reports each file and its progress.
    private var showsProgressFromWriter: Bool {
        link != nil && (options.progress || options.progressTotal) && !options.quiet
    }

    /// Requests a remote run keeps in flight (the protocol's default window).
    public static var requestWindow: Int { 1024 }

    /// The exit status this run earned.
    public var exitStatus: ExitStatus {
        // rsync's precedence: a partial transfer (23) or vanished files (24) outrank the --max-delete
        // limit (25), which is only the exit code when nothing else went wrong.
        if wasInterrupted { return .signal }
        if hadErrors || senderIOError || deleter.backupFailures > 0 { return .partial }
        if senderVanished || hadVanished { return .vanished }
        if deleter.skippedByMaxDelete > 0 { return .maxDelete }
        return .success
    }

    public var deletionsSkipped: Int { deleter.skippedByMaxDelete }

    /// For progress lines (rsync's "to-chk=remaining/total"): entries not yet checked, entries the
    /// sender has listed so far, whether it has listed everything, and the bytes of the files listed.
    public var progressCounts: (remaining: Int, total: Int, listComplete: Bool, totalSize: Int64) {
        let listed = fileList?.listedSoFar ?? (entries: 0, size: 0, complete: false)
        let total = rootEntryCount + listed.entries
        return (max(0, total - entriesDone), total, listed.complete, rootListedSize &+ listed.size)
    }

    // MARK: Run

    /// Runs the whole transfer of `tree` into `destination`.
    public func run(tree: SourceTree, destination: [UInt8]) throws(SyncError) {
        let root = builder.listRoot(of: tree, observer: observer)
        if root.ioError { senderIOError = true }
        try transfer(rootListing: root.listing, rootEntry: root.dotEntry, sourceArguments: tree.argumentCount,
            destination: destination, tree: root.tree)
    }
    /// Runs a remote transfer: the sender is `link`, in another process.
    public func run(link: SenderLink, destination: [UInt8]) throws(SyncError) {
        self.link = link
        let root = try link.receiveRoot()
        try transfer(rootListing: root.listing, rootEntry: root.dotEntry, sourceArguments: root.sourceArguments,
            destination: destination, tree: nil)
    }

    /// The run from the root listing on, local or remote (`tree` is nil for a remote sender).
    private func transfer(rootListing: SourceListing, rootEntry: FileEntry?, sourceArguments: Int,
        destination: [UInt8], tree: SourceTree?) throws(SyncError)
    {
        accept(rootListing)
        if let fatalError { throw fatalError }
        // Nothing could be read at all (a missing source): rsync makes no destination either, unless
        // the destination was named as a directory ("dst/").
        if rootListing.entries.isEmpty && rootEntry == nil && senderIOError && destination.last != PathBytes.slash {
            return
        }
        if BackupLocation.overwritesOriginals(options),
            BackupLocation.isDestination(options.backupDir!, destination: destination, fs: fs)
        {
            throw SyncError(.syntax, BackupLocation.sameAsDestination)
        }
        try resolveDestination(destination, rootListing: rootListing, hasRootEntry: rootEntry != nil,
            sourceArguments: sourceArguments)
        if let tempDir = options.tempDir, (try? fs.stat(tempDir))?.kind != .directory {
            throw SyncError(.syntax, "The temp-dir does not exist: \(OutputEscaper.escape(tempDir, keepHighBit: options.keepHighBit))")
        }
        resolveAlternateRoots()
        if options.verbose > 1 && !options.quiet {
            observer.info(options.wholeFile == false
                ? "delta-transmission enabled" : "delta-transmission disabled for local transfer or --whole-file")
        }
        receiver.destinationRoot = destinationRoot
        deleter.receiver = receiver
        startCopyWorkers()
        rootEntryCount = rootListing.entries.count + (rootEntry == nil ? 0 : 1)
        rootListedSize = rootListing.transferSize(links: options.links)
        entriesDone = rootEntry == nil ? 0 : 1

        if options.effectiveDeleteTiming == .before, let tree {
            deleteBefore(tree: tree, rootListing: rootListing, hasRootEntry: rootEntry != nil)
        }
        var rootState: DirectoryState?
        if let rootEntry {
            rootState = processDirectoryEntry(rootEntry, destinationIsNew: createdDestination)
            stats.files.add(.directory)
        }
        let fileList: any ListingSource
        if let link {
            fileList = link.listings
        } else {
            let stream = FileListStream(builder: builder, root: rootListing, recursive: options.recursive)
            stream.start()
            fileList = stream
        }
        self.fileList = fileList
        walk(listing: rootListing, relativeName: [], isContentDirectory: rootEntry != nil)
        fileList.finish()
        drainWrites()
        redoRemoteFailures()
        if let link, link.ioError { senderIOError = true }
        if let rootEntry, let rootState { finishDirectory(rootEntry, isNew: rootState.isNew) }
        if options.hardLinks && !wasInterrupted && fatalError == nil { linkLateMembers() }
        drainWrites()
        for redo in redoReports {
            observer.error(redo.notice, role: nil)
            observer.report(redo.item)
        }
        if let fatalError { throw fatalError }

        drainWrites()
        // An interrupted run deletes nothing more (rsync stops at the signal).
        if let timing = options.effectiveDeleteTiming, timing == .after || timing == .delay, !wasInterrupted {
            deleter.runDeferred(ioError: senderIOError)
        }
        stats.deleted = deleter.deleted
    }

    /// Decides whether the destination is a directory to fill or a file to write (rsync `get_local_name`).
    private func resolveDestination(
        _ destination: [UInt8], rootListing: SourceListing, hasRootEntry: Bool, sourceArguments: Int
    ) throws(SyncError) {
        let existing = try? fs.stat(destination)
        let single = !hasRootEntry && sourceArguments <= 1 && rootListing.entries.count == 1
            && !rootListing.entries[0].isDirectory
        let endsWithSlash = destination.last == PathBytes.slash
        if let existing, existing.kind == .directory {
            destinationRoot = destination
            return
        }
        if existing == nil && !options.mkpath && single && !endsWithSlash {
            let parent = PathBytes.parent(destination)
            if (try? fs.stat(parent)) == nil {
                throw SyncError(.fileSelection,
                    "[Receiver] change_dir#3 \"\(OutputEscaper.escape(fs.absolute(parent), keepHighBit: options.keepHighBit))\" failed: No such file or directory (2)",
                    role: .receiver)
            }
        }
        if single && !endsWithSlash {
            if existing == nil, options.mkpath {
                makePath(PathBytes.parent(destination))
            }
            destinationRoot = PathBytes.parent(destination)
            renamedSingleFile = PathBytes.lastComponent(destination)
            return
        }
        if existing != nil {
            throw SyncError(.fileSelection,
                "ERROR: destination must be a directory when copying more than 1 file")
        }
        if options.mkpath {
            makePath(destination)
            destinationRoot = destination
            createdDestination = options.dryRun
            return
        }
        if !options.dryRun {
            do {
                try makeDirectoryUnlessPresent(destination, permissions: 0o777 & ~options.umask)
            } catch {
                var shown = fs.absolute(destination)
                while shown.count > 1 && shown.last == PathBytes.slash { shown.removeLast() }
                throw SyncError(.fileIO, "[Receiver] \(error.describing(call: "mkdir", path: shown))", role: .receiver)
            }
        }
        if announcesCreatedDirectories {
            var shown = destination
            while shown.count > 1 && shown.last == PathBytes.slash { shown.removeLast() }
            observer.info("created directory \(OutputEscaper.escape(shown, keepHighBit: options.keepHighBit))")
        }
        destinationRoot = destination
        createdDestination = true
    }

    /// mkdir, where a directory that appeared since we looked (another run into the same destination
    /// made it) is as good as one we made: EEXIST is an error only when the name is not a directory.
    private func makeDirectoryUnlessPresent(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) {
        do { try fs.makeDirectory(path, permissions: permissions) } catch {
            guard error.errno == SystemErrno.exists, (try? fs.lstat(path))?.kind == .directory else { throw error }
        }
    }

    /// rsync `--mkpath`: creates every missing component of `directory` and says how many it made.
    private func makePath(_ directory: [UInt8]) {
        var missing = 0
        var probe = directory
        while probe.count > 1 && probe.last == PathBytes.slash { probe.removeLast() }
        let shown = OutputEscaper.escape(probe, keepHighBit: options.keepHighBit)
        while !probe.isEmpty && probe != PathBytes.dot && (try? fs.stat(probe)) == nil {
            missing += 1
            probe = PathBytes.parent(probe)
        }
        guard missing > 0 else { return }
        if !options.dryRun {
            receiver.makeParents(of: directory)
            try? fs.makeDirectory(directory, permissions: 0o777 & ~options.umask)
        }
        if announcesCreatedDirectories {
            observer.info(missing == 1 ? "created directory \(shown)" : "created \(missing) directories for \(shown)")
        }
    }

    private func resolveAlternateRoots() {
        alternateRoots = options.alternateDestinations.map { directory in
            directory.first == PathBytes.slash ? directory : PathBytes.join(destinationRoot, directory)
        }
        // rsync warns (and goes on) when a reference directory is missing.
        if let kind = options.alternateDestinationKind {
            for root in alternateRoots where (try? fs.stat(root))?.kind != .directory {
                observer.error("--\(kind)-dest arg does not exist: \(OutputEscaper.escape(fs.absolute(root), keepHighBit: options.keepHighBit))", role: nil)
            }
        }
    }

    /// rsync prints "created directory" with -v, or when the output format itemizes (`%i`).
    private var announcesCreatedDirectories: Bool {
        guard !options.quiet else { return false }
        return options.verbose > 0 || (options.effectiveOutFormat?.contains("%i") ?? false)
    }

    func destinationPath(_ name: [UInt8]) -> [UInt8] {
        if let renamedSingleFile { return PathBytes.join(destinationRoot, renamedSingleFile) }
        return PathBytes.join(destinationRoot, name)
    }

    func displayName(_ entry: FileEntry) -> [UInt8] {
        entry.name
    }

    // MARK: Walk

    private func walk(listing: FileListBuilder<FS>.Listing, relativeName: [UInt8], isContentDirectory: Bool) {
        // A remote run has no whole list to scan first: --delete-before deletes as it goes, like --delete-during.
        if isContentDirectory, var timing = options.effectiveDeleteTiming, timing != .before || link != nil {
            if timing == .before { timing = .during }
            let keep = Set(listing.entries.map { PathBytes.lastComponent($0.name) })
            let directoryName = relativeName.isEmpty ? PathBytes.dot : relativeName
            if timing == .during {
                deleter.deleteExtraneous(in: destinationPath(directoryName), name: relativeName, keeping: keep,
                    ioError: senderIOError)
            } else {
                deleter.collectExtraneous(in: destinationPath(directoryName), name: relativeName, keeping: keep)
            }
        }
        for entry in listing.entries where !entry.isDirectory {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted || fatalError != nil { return }
            entriesDone += 1
            makePassedThroughDirectories()
            processNonDirectory(entry)
        }
        for entry in listing.entries where entry.isDirectory {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted || fatalError != nil { return }
            entriesDone += 1
            let descends = listing.descends(into: entry, recursive: options.recursive)
            if entry.isPassedThrough {
                // Made only if something inside is sent (see makePassedThroughDirectories).
                passedThrough.append(entry)
                if descends, let fileList {
                    let childListing = fileList.next()
                    accept(childListing)
                    walk(listing: childListing, relativeName: entry.name, isContentDirectory: false)
                }
                if passedThrough.last?.name == entry.name { passedThrough.removeLast() }
                if let state = madePassedThrough.removeValue(forKey: entry.name) {
                    drainWrites()
                    finishDirectory(entry, isNew: state.isNew)
                }
                continue
            }
            makePassedThroughDirectories()
            stats.files.add(.directory)
            let state = entry.isSent(impliedDirs: options.impliedDirs)
                ? processDirectoryEntry(entry) : makeUnsentImpliedDirectory(entry)
            guard let state else {
                if descends { fileList?.skipSubtree(recursive: options.recursive) { accept($0) } }
                continue
            }
            if descends, let fileList {
                let childListing = fileList.next()
                accept(childListing)
                let marksMissing = options.dryRun && state.isNew && dryRunMissingBelow == nil
                if marksMissing { dryRunMissingBelow = entry.name }
                walk(listing: childListing, relativeName: entry.name,
                    isContentDirectory: childListing.isContentDirectory)
                if marksMissing { dryRunMissingBelow = nil }
            }
            if entry.isSent(impliedDirs: options.impliedDirs) {
                if link != nil {
                    directoriesAwaitingWrites.append((entry, state.isNew, writesSubmitted))
                    finishDirectoriesWhoseWritesAreDone()
                } else {
                    drainWrites()
                    finishDirectory(entry, isNew: state.isNew)
                }
            }
        }
    }

    /// rsync's redo pass for a remote run: each file whose delta failed its whole-file check is asked
    /// for again, whole. A second failure is an error (exit 23). The parent directory keeps its time.
    private func redoRemoteFailures() {
        guard let link, let workers = copyWorkers else { return }
        while !remoteRedos.isEmpty && !wasInterrupted && fatalError == nil {
            let redos = remoteRedos
            remoteRedos = []
            var parents: [[UInt8]: FileTime] = [:]
            for redo in redos {
                if options.verbose > 0 && !options.quiet {
                    observer.error("WARNING: \(OutputEscaper.escape(redo.entry.name)) failed verification -- update discarded (will try again).", role: nil)
                }
                let parent = PathBytes.parent(redo.job.destination)
                if parents[parent] == nil, let status = try? fs.lstat(parent) { parents[parent] = status.mtime }
                var job = redo.job
                job.basis = nil
                job.remote?.signature = nil
                redoneFiles.insert(redo.entry.fileIndex)
                stats.regularFilesTransferred += 1
                stats.transferredFileSize &+= redo.entry.status.size
                if redo.isNew { stats.created.add(.regular) }
                link.request(fileIndex: redo.entry.fileIndex, signature: nil)
                workers.submit(PendingWrite(entry: redo.entry, job: job, isNew: redo.isNew))
                writesSubmitted += 1
            }
            drainWrites()
            if check.keepsTime(.directory) {
                for (parent, mtime) in parents { try? fs.setModificationTime(parent, mtime) }
            }
        }
    }

    /// A remote run: sets the time of each directory whose writes have all finished, in the order
    /// the walk left them (contents before their directory).
    private func finishDirectoriesWhoseWritesAreDone() {
        var done = 0
        for pending in directoriesAwaitingWrites {
            guard pending.writesBefore <= writesFinished else { break }
            finishDirectory(pending.entry, isNew: pending.isNew)
            done += 1
        }
        if done > 0 { directoriesAwaitingWrites.removeFirst(done) }
    }

    /// `--delete-before`: a deletion-only pass over the whole tree before any transfer.
    private func deleteBefore(tree: SourceTree, rootListing: FileListBuilder<FS>.Listing, hasRootEntry: Bool) {
        var scanner = FileListBuilder(fs: fs, options: options)
        func visit(_ listing: FileListBuilder<FS>.Listing, relativeName: [UInt8], isContent: Bool) {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted { return }
            if isContent {
                let keep = Set(listing.entries.map { PathBytes.lastComponent($0.name) })
                let directoryName = relativeName.isEmpty ? PathBytes.dot : relativeName
                deleter.deleteExtraneous(in: destinationPath(directoryName), name: relativeName, keeping: keep,
                    ioError: senderIOError || scanner.ioError)
            }
            guard options.recursive else { return }
            for entry in listing.entries where entry.isDirectory {
                let name = PathBytes.lastComponent(entry.name)
                guard let subdirectory = listing.subdirectories[name] else { continue }
                let child = scanner.list(subdirectory, relativeName: entry.name)
                visit(child, relativeName: entry.name, isContent: !subdirectory.listings.isEmpty)
            }
        }
        visit(rootListing, relativeName: [], isContent: hasRootEntry)
    }

    /// Full-path mode: sends the excluded directories being walked through once something inside them
    /// is sent, outermost first, so included paths keep their parents (with the source's attributes).
    private func makePassedThroughDirectories() {
        guard !passedThrough.isEmpty else { return }
        for directory in passedThrough {
            stats.files.add(.directory)
            if let state = processDirectoryEntry(directory) { madePassedThrough[directory.name] = state }
        }
        passedThrough.removeAll()
    }

    /// Takes in what the sender reported while listing a directory.
    private func accept(_ listing: FileListBuilder<FS>.Listing) {
        if let failure = listing.fatalError, fatalError == nil { fatalError = failure }
        listing.deliverMessages(to: observer)
        if listing.hadIOError { senderIOError = true }
        if listing.hadVanished { senderVanished = true }
    }

    // MARK: Directories

    struct DirectoryState {
        var isNew: Bool
    }

    /// Creates or checks one destination directory. Returns nil when its contents must be skipped.
    private func processDirectoryEntry(_ entry: FileEntry, destinationIsNew: Bool = false) -> DirectoryState? {
        if isBelowLinkLeadingOutside(entry) { return nil }
        let path = destinationPath(entry.name)
        var existing = destinationIsNew ? nil : destinationStatus(path, name: entry.name)
        if let current = existing, current.kind == .symlink, options.keepDirLinks,
            let target = try? fs.stat(path), target.kind == .directory
        {
            guard keptLinks.leadsInside(path, root: destinationRoot) else {
                // Kept, but not followed: each entry below it fails (see isBelowLinkLeadingOutside).
                // rsync itemizes it against where it leads, and changes nothing there.
                linksLeadingOutside.insert(entry.name)
                report(entry, flags: check.attributeFlags(source: entry, destination: target, localChange: false))
                return DirectoryState(isNew: false)
            }
            existing = target
        }
        // With --existing, a name that exists as another type still counts as existing: rsync puts the
        // directory in its place.
        let nameExisted = existing != nil
        if let current = existing, current.kind != .directory {
            if options.ignoreExisting { return nil }
            if !options.dryRun {
                if options.backup {
                    try? receiver.makeBackup(path, name: entry.name)
                } else {
                    do { try fs.removeFile(path) } catch {
                        fail("[generator] \(error.describing(call: "unlink"))")
                        return nil
                    }
                }
            }
            existing = nil
        }
        guard let current = existing else {
            if options.existingOnly && !destinationIsNew && !nameExisted { return nil }
            if !options.dryRun {
                do {
                    if !destinationIsNew { try makeDirectoryUnlessPresent(path, permissions: 0o700) }
                } catch {
                    fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), keepHighBit: options.keepHighBit))\" failed: \(error.errnoText) (\(error.errno))")
                    return nil
                }
                if options.group || (options.owner && options.isSuperUser) {
                    warn(receiver.finishAttributes(path, permissions: nil, owner: ownerChange(entry.status, nil), mtime: nil))
                }
            }
            if options.existingOnly {
                stats.created.add(.directory)
                if destinationIsNew || nameExisted { report(entry, flags: [.localChange, .isNew]) }
                return DirectoryState(isNew: true)
            }
            // rsync itemizes a new directory against its copy in a --link-dest/--copy-dest/--compare-dest dir,
            // and then does not count it as created.
            if let basis = alternateCandidate(entry, kind: .directory) {
                var flags = check.attributeFlags(source: entry, destination: basis.status, localChange: false)
                flags.insert(.localChange)
                report(entry, flags: flags)
            } else {
                stats.created.add(.directory)
                report(entry, flags: [.localChange, .isNew])
            }
            return DirectoryState(isNew: true)
        }
        let flags = check.attributeFlags(source: entry, destination: current, localChange: false)
        if !options.dryRun && (flags.contains(.reportOwner) || flags.contains(.reportGroup)) {
            warn(receiver.finishAttributes(path, permissions: nil, owner: ownerChange(entry.status, current), mtime: nil))
        }
        // rsync sets an existing directory's mode before its contents, so a directory made writable by
        // the source can be filled (a non-root user could not write into the old 0555 mode). A mode
        // that takes write access away waits for finishDirectory.
        let permissions = check.destinationPermissions(source: entry.status, existing: current)
        if !options.dryRun && permissions != current.permissions && permissions & 0o300 == 0o300 {
            warn(receiver.finishAttributes(path, permissions: permissions, owner: (nil, nil), mtime: nil))
        }
        report(entry, flags: flags)
        return DirectoryState(isNew: false)
    }

    /// What the destination holds at `path`. In a dry run, below a directory that would have been
    /// created (or put in place of a file or a symlink), nothing exists yet: a real run would find it
    /// empty, and a symlink that would have been replaced must not be looked through.
    private func destinationStatus(_ path: [UInt8], name: [UInt8]) -> FileStatus? {
        if let missing = dryRunMissingBelow, DirectoryRuleTracker.isAncestor(missing, of: name) { return nil }
        return try? fs.lstat(path)
    }

    /// `--no-implied-dirs`: a path element of a `-R` source is not sent; it is made (with default
    /// permissions, silently) only when the destination lacks it, and an existing one is left alone.
    private func makeUnsentImpliedDirectory(_ entry: FileEntry) -> DirectoryState? {
        let path = destinationPath(entry.name)
        if let existing = try? fs.stat(path) {
            if existing.kind == .directory { return DirectoryState(isNew: false) }
            fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), keepHighBit: options.keepHighBit))\" failed: File exists (17)")
            return nil
        }
        if !options.dryRun {
            do { try makeDirectoryUnlessPresent(path, permissions: 0o777 & ~options.umask) } catch {
                fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), keepHighBit: options.keepHighBit))\" failed: \(error.errnoText) (\(error.errno))")
                return nil
            }
        }
        return DirectoryState(isNew: true)
    }

    /// -H: transfers the leaders of groups with links outside the transfer, then links every held-back
    /// member to its leader, and sets the time again on the directories that gained links.
    private func linkLateMembers() {
        isLinkingLateMembers = true
        for group in hardLinkGroups.takeLeaderlessGroups() {
            processRegular(group.members[0])
            hardLinkGroups.addLateLinks(Array(group.members.dropFirst()), key: group.key)
        }
        drainWrites()
        for group in hardLinkGroups.takeLateLinks() {
            guard let leader = hardLinkLeaders[group.key] else { continue }
            for member in group.members {
                linkToLeader(member, leader: leader, existing: try? fs.lstat(destinationPath(member.name)))
            }
        }
        drainWrites()
        for directory in directoriesToRefinish { finishDirectory(directory.entry, isNew: directory.isNew) }
    }

    /// Sets a directory's final permissions and time once its contents are written.
    private func finishDirectory(_ entry: FileEntry, isNew: Bool) {
        if !isLinkingLateMembers && hardLinkGroups.directoriesWithLateLinks.contains(entry.name) {
            directoriesToRefinish.append((entry, isNew))
        }
        guard !options.dryRun else { return }
        let path = destinationPath(entry.name)
        guard let current = try? fs.lstat(path) else { return }
        if current.kind == .symlink && options.keepDirLinks {
            // -K: a kept link gets the directory's time itself (rsync sets it without following).
            if check.keepsTime(.directory) && current.mtime != entry.status.mtime {
                warn(receiver.finishAttributes(path, permissions: nil, owner: (nil, nil), mtime: entry.status.mtime,
                    isSymlink: true))
            }
            return
        }
        guard current.kind == .directory else { return }
        let permissions = check.destinationPermissions(source: entry.status, existing: isNew ? nil : current)
        if current.permissions != permissions {
            warn(receiver.finishAttributes(path, permissions: permissions, owner: (nil, nil), mtime: nil))
        }
        if check.keepsTime(.directory) && current.mtime != entry.status.mtime {
            warn(receiver.finishAttributes(path, permissions: nil, owner: (nil, nil), mtime: entry.status.mtime))
        }
    }

    // MARK: Non-directories

    private func processNonDirectory(_ entry: FileEntry) {
        switch entry.kind {
        case .regular:
            stats.files.add(.regular)
            stats.totalFileSize &+= entry.status.size  // &: sizes may come from a peer
            processRegular(entry)
        case .symlink:
            // Counted even when skipped: it is in the file list (rsync's --stats agrees).
            stats.files.add(.symlink)
            stats.totalFileSize &+= entry.countedSize
            guard options.links else {
                observer.info("skipping non-regular file \"\(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))\"")
                return
            }
            processSymlink(entry)
        case .characterDevice, .blockDevice, .fifo, .socket:
            let allowed = entry.kind.isDevice ? options.devices : options.specials
            stats.files.add(entry.kind)
            guard allowed else {
                observer.info("skipping non-regular file \"\(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))\"")
                return
            }
            processNode(entry)
        case .directory:
            break
        }
    }

    /// Clears a destination entry of the wrong type out of the way. Returns false when it cannot.
    private func makeWay(_ path: [UInt8], existing: FileStatus, for entry: FileEntry) -> Bool {
        if existing.kind == .directory {
            let isEmpty = ((try? fs.listDirectory(path)) ?? []).isEmpty
            guard isEmpty || options.force || options.effectiveDeleteTiming != nil else {
                observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))")
                fail("could not make way for new \(kindWord(entry.kind)): \(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))",
                    role: .generator)
                return false
            }
            if options.backup && !options.dryRun {
                deleter.backupTree(path, name: entry.name)
            } else {
                // The directory's contents are deleted (and reported) as rsync's `delete_item` does.
                deleter.deleteContents(of: path, name: entry.name)
                if !options.dryRun { try? fs.removeDirectory(path) }
            }
            // Something inside was kept (--max-delete, a protected file): the way is still blocked.
            if !options.dryRun, (try? fs.lstat(path))?.kind == .directory {
                observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))")
                fail("could not make way for new \(kindWord(entry.kind)): \(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit))",
                    role: .generator)
                return false
            }
            return true
        }
        guard !options.dryRun else { return true }
        if options.backup {
            do { try receiver.makeBackup(path, name: entry.name) } catch { return false }
            return true
        }
        do { try fs.removeFile(path) } catch {
            fail("[generator] \(error.describing(call: "unlink"))")
            return false
        }
        return true
    }

    private func kindWord(_ kind: FileKind) -> String {
        switch kind {
        case .regular: return "regular file"
        case .symlink: return "symlink"
        case .directory: return "directory"
        default: return "special file"
        }
    }

    private func processRegular(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        if let minSize = options.minSize, entry.status.size < minSize { return }
        if let maxSize = options.maxSize, entry.status.size > maxSize { return }
        let path = destinationPath(entry.name)
        var existing = destinationStatus(path, name: entry.name)

        if options.existingOnly && existing == nil { return }
        if options.ignoreExisting && existing != nil { return }
        if options.update, let current = existing, current.kind == .regular,
            check.destinationIsNewer(source: entry.status.mtime, destination: current.mtime)
        {
            if options.verbose > 1 { observer.info("\(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit)) is newer") }
            return
        }

        var hardLinkKey: HardLinkGroups.Key?
        if options.hardLinks && entry.status.linkCount > 1 {
            let key = HardLinkGroups.Key(device: entry.status.device, inode: entry.status.inode)
            if !isLinkingLateMembers { hardLinkGroups.meet(key) }
            if let leader = hardLinkLeaders[key] {
                linkToLeader(entry, leader: leader, existing: existing)
                return
            }
            hardLinkKey = key
        }
        // -H: a member that needs its data sent waits for its group's last member (see HardLinkGroups).
        var waitsForLeader = false
        var isSent = false
        func sendsOrWaits() -> Bool {
            guard let hardLinkKey, !isLinkingLateMembers, !hardLinkGroups.isLastMember(entry, key: hardLinkKey) else {
                isSent = true
                return false
            }
            hardLinkGroups.wait(entry, key: hardLinkKey)
            waitsForLeader = true
            return true
        }
        defer {
            if let hardLinkKey, !waitsForLeader { becomeLeader(entry, key: hardLinkKey, isSent: isSent) }
        }

        if let current = existing, current.kind != .regular {
            guard makeWay(path, existing: current, for: entry) else { return }
            existing = nil
        }

        // rsync: with --compare-dest, a file identical to the reference copy does not belong in the
        // destination (it holds only what differs), so an existing one is removed.
        if options.alternateDestinationKind == .compare, let current = existing, current.kind == .regular,
            exactAlternateMatch(entry) != nil
        {
            if !options.dryRun {
                do { try fs.removeFile(path) } catch {
                    fail("[generator] \(error.describing(call: "unlink"))")
                    return
                }
            }
            report(entry, flags: [])
            return
        }
        // rsync: with --link-dest, an exact match in a reference dir replaces whatever the destination
        // holds, so the new snapshot shares the reference's inode even over an existing file.
        if options.alternateDestinationKind == .link, let current = existing, current.kind == .regular,
            let match = exactAlternateMatch(entry), match.status.inode != current.inode
                || match.status.device != current.device
        {
            if !options.dryRun {
                do { try receiver.replaceWithHardLink(path, to: match.path) } catch {
                    fail("[receiver] \(error.describing(call: "link"))")
                    return
                }
            }
            report(entry, flags: [.localChange, .hardLinkName])
            return
        }

        if let current = existing {
            var checksumDiffers = false
            let unchanged = check.isUnchanged(source: entry.status, destination: current) {
                let a = entry.checksum ?? (try? fs.checksum(entry.sourcePath))
                let b = try? fs.checksum(path)
                checksumDiffers = a != b
                return (a, b)
            }
            var flags = check.attributeFlags(source: entry, destination: current, localChange: false)
            if unchanged {
                applyAttributes(path, entry: entry, existing: current, flags: flags)
                reportUpToDate(entry, flags: flags)
                return
            }
            // --append: a destination at least as long as the source is left alone (rsync skips it).
            if options.append > 0 && current.size >= entry.status.size { return }
            if sendsOrWaits() { return }
            if checksumDiffers || options.checksum { flags.insert(.reportChange) }
            if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
            flags.insert(.transfer)
            transfer(entry, to: path, existing: current, flags: flags)
            return
        }

        if !alternateRoots.isEmpty {
            if useAlternate(entry, path: path) { return }
            // No exact match: rsync uses the reference file as the basis and itemizes against it.
            if let basis = alternateCandidate(entry, kind: .regular) {
                if sendsOrWaits() { return }
                var flags = check.attributeFlags(source: entry, destination: basis.status, localChange: false)
                if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
                flags.insert(.transfer)
                // Without -p the new file takes the reference copy's mode, as rsync does.
                transfer(entry, to: path, existing: nil, flags: flags, modeFrom: basis.status)
                return
            }
        }
        if sendsOrWaits() { return }
        transfer(entry, to: path, existing: nil, flags: [.transfer, .isNew])
    }

    /// -H: `entry` is its group's leader. Members waiting for it are linked now, or, when its data is
    /// still being written, at the end of the run.
    private func becomeLeader(_ entry: FileEntry, key: HardLinkGroups.Key, isSent: Bool) {
        hardLinkLeaders[key] = entry.name
        let waiting = hardLinkGroups.takeWaiting(key)
        guard !waiting.isEmpty else { return }
        if isSent && !options.dryRun {
            hardLinkGroups.addLateLinks(waiting, key: key)
        } else {
            for member in waiting { linkToLeader(member, leader: entry.name, existing: try? fs.lstat(destinationPath(member.name))) }
        }
    }

    /// `--link-dest`, `--copy-dest`, `--compare-dest` (rsync `try_dests_reg`): a reference file with the
    /// same data and attributes is linked, copied or taken as present; one with the same data but other
    /// attributes is copied locally ("cf"). Returns true when the entry is done.
    /// Reference-dir regular files with the source's data, in reference order, each with the preserved
    /// attributes that differ; lazy, so callers stop at the first one they can use.
    private func sameDataInReferences(_ entry: FileEntry)
        -> some Sequence<(path: [UInt8], status: FileStatus, attributes: ItemizeFlags)>
    {
        alternateRoots.lazy.compactMap { root -> (path: [UInt8], status: FileStatus, attributes: ItemizeFlags)? in
            let candidate = PathBytes.join(root, entry.name)
            guard let status = try? self.fs.lstat(candidate), status.kind == .regular else { return nil }
            let same = self.check.isUnchanged(source: entry.status, destination: status) {
                (entry.checksum ?? (try? self.fs.checksum(entry.sourcePath)), try? self.fs.checksum(candidate))
            }
            guard same else { return nil }
            return (candidate, status, self.check.attributeFlags(source: entry, destination: status, localChange: false))
        }
    }

    /// The first reference-dir file with the source's data and every preserved attribute.
    private func exactAlternateMatch(_ entry: FileEntry) -> (path: [UInt8], status: FileStatus)? {
        sameDataInReferences(entry).first { $0.attributes.isEmpty }.map { ($0.path, $0.status) }
    }

    private func useAlternate(_ entry: FileEntry, path: [UInt8]) -> Bool {
        guard let kind = options.alternateDestinationKind else { return false }
        var contentMatch: (path: [UInt8], attributes: ItemizeFlags)?
        for (candidate, _, attributes) in sameDataInReferences(entry) {
            guard attributes.isEmpty else {
                if contentMatch == nil { contentMatch = (candidate, attributes) }
                continue
            }
            switch kind {
            case .compare:
                report(entry, flags: [])
                return true
            case .link:
                if !options.dryRun {
                    do { try fs.makeHardLink(path, to: candidate) } catch { continue }
                }
                report(entry, flags: [.localChange, .hardLinkName])
                return true
            case .copy:
                return copyLocally(entry, from: candidate, to: path, attributes: [])
            }
        }
        if let contentMatch {
            return copyLocally(entry, from: contentMatch.path, to: path, attributes: contentMatch.attributes)
        }
        return false
    }

    /// Copies a reference file into place instead of sending the source (rsync `copy_altdest_file`).
    private func copyLocally(_ entry: FileEntry, from candidate: [UInt8], to path: [UInt8], attributes: ItemizeFlags)
        -> Bool
    {
        if !options.dryRun {
            var job = writeJob(entry, path: path, existing: nil)
            job.source = candidate
            do { warn(try receiver.write(job, progress: { _ in }).warnings) } catch { return false }
        }
        var flags = attributes
        flags.insert(.localChange)
        report(entry, flags: flags)
        return true
    }

    private func writeJob(_ entry: FileEntry, path: [UInt8], existing: FileStatus?) -> Receiver<FS>.WriteJob {
        // The temp file is new: it needs the preserved owner and group even when the old file had them.
        let owner = ownerChange(entry.status, nil)
        return Receiver<FS>.WriteJob(
            source: entry.sourcePath, sourceSize: entry.status.size, destination: path, name: entry.name,
            permissions: check.destinationPermissions(source: entry.status, existing: existing),
            uid: owner.uid, gid: owner.gid, mtime: check.keepsTime(.regular) ? entry.status.mtime : nil,
            existing: existing, basis: deltaBasis(entry, path: path, existing: existing),
            appendOffset: options.append > 0 && existing?.kind == .regular ? existing?.size : nil)
    }

    /// With `--no-whole-file`, the file the delta is made against (rsync's `fnamecmp`): a partial file
    /// left in `--partial-dir`, else the current destination file, else a copy in a reference directory.
    private func deltaBasis(_ entry: FileEntry, path: [UInt8], existing: FileStatus?) -> [UInt8]? {
        guard options.wholeFile == false else { return nil }
        if let partialDir = options.partialDir {
            let directory = PathBytes.parent(path)
            let root = partialDir.first == PathBytes.slash ? partialDir : PathBytes.join(directory, partialDir)
            let partial = PathBytes.join(root, PathBytes.lastComponent(path))
            if let status = try? fs.lstat(partial), status.kind == .regular { return partial }
        }
        if let existing, existing.kind == .regular { return path }
        return alternateCandidate(entry, kind: .regular)?.path
    }

    /// A write handed to a copy worker.
    struct PendingWrite: Sendable {
        var entry: FileEntry
        var job: Receiver<FS>.WriteJob
        var isNew: Bool
        /// Reported by the writer (a remote run with `--progress`), just above the file's progress.
        var item: ItemizedChange? = nil
    }

    /// The outcome of one write, as a copy worker hands it back.
    struct WriteOutcome: Sendable {
        var entry: FileEntry
        var isNew: Bool
        var result: Result<Receiver<FS>.WriteResult, WriteFailure>
        /// The job, for a remote file sent again after a failed check (rsync's redo pass).
        var job: Receiver<FS>.WriteJob? = nil
    }

    /// The first entry of the same kind in the reference directories, if any.
    /// For a directory, one whose attributes already match wins over the first that exists (rsync
    /// `try_dests_non`, match level 2 over level 1).
    private func alternateCandidate(_ entry: FileEntry, kind: FileKind) -> (path: [UInt8], status: FileStatus)? {
        var first: (path: [UInt8], status: FileStatus)?
        for root in alternateRoots {
            let candidate = PathBytes.join(root, entry.name)
            guard let status = try? fs.lstat(candidate), status.kind == kind else { continue }
            if kind != .directory { return (candidate, status) }
            if check.attributeFlags(source: entry, destination: status, localChange: false).isEmpty {
                return (candidate, status)
            }
            if first == nil { first = (candidate, status) }
        }
        return first
    }

    /// Symlinks, devices and specials identical in a reference directory: `--link-dest` hard-links them
    /// (Linux can), `--compare-dest` leaves them out. Returns true when the entry is done.
    private func linkIdenticalAlternate(_ entry: FileEntry, path: [UInt8]) -> Bool {
        guard let kind = options.alternateDestinationKind, kind != .copy else { return false }
        for root in alternateRoots {
            let candidate = PathBytes.join(root, entry.name)
            guard let status = try? fs.lstat(candidate), status.kind == entry.kind else { continue }
            if entry.kind == .symlink {
                guard (try? fs.readLink(candidate)) == entry.symlinkTarget else { continue }
            } else if entry.kind.isDevice && status.rdev != entry.status.rdev {
                continue
            }
            let attributes = check.attributeFlags(source: entry, destination: status, localChange: false)
            guard attributes.isEmpty else { continue }
            if kind == .link && !options.dryRun {
                do { try fs.makeHardLink(path, to: candidate) } catch { return false }
            }
            report(entry, flags: kind == .link ? [.localChange, .hardLinkName] : [])
            return true
        }
        return false
    }

    private func transfer(_ entry: FileEntry, to path: [UInt8], existing: FileStatus?, flags: ItemizeFlags,
        modeFrom: FileStatus? = nil)
    {
        var item = makeItem(entry, flags: flags)
        stats.regularFilesTransferred += 1
        stats.transferredFileSize &+= entry.status.size
        // Only a file itemized as new counts as created (not one sent against a reference-dir basis).
        let countsAsCreated = existing == nil && flags.contains(.isNew)
        if countsAsCreated { stats.created.add(.regular) }
        if options.dryRun {
            observer.report(item)
            return
        }
        var job = writeJob(entry, path: path, existing: existing)
        if existing == nil, let modeFrom {
            job.permissions = check.destinationPermissions(source: entry.status, existing: modeFrom)
        }
        if let link {
            // The basis's signature goes with the request; the sender answers with the delta.
            let signature = job.basis.flatMap { basis in
                (try? fs.openForReading(basis)).flatMap { try? receiver.signature(of: $0) }
            }
            job.remote = RemoteFileData(fileIndex: entry.fileIndex, signature: signature, incoming: link.incoming,
                expectedSize: entry.status.size)
            link.request(fileIndex: entry.fileIndex, signature: signature)
        }
        if let workers = copyWorkers {
            // Whole-file copies write the whole size; report now so output keeps file-list order.
            item.bytesTransferred = entry.status.size
            let writerReports = showsProgressFromWriter
            if !writerReports { observer.report(item) }
            workers.submit(PendingWrite(entry: entry, job: job, isNew: countsAsCreated, item: writerReports ? item : nil))
            writesSubmitted += 1
            for outcome in workers.takeFinished() { finishWrite(outcome, item: nil) }
            if link != nil { finishDirectoriesWhoseWritesAreDone() }
            return
        }
        if options.progress { observer.report(item) }
        observer.transferStarted(name: displayName(entry), size: entry.status.size)
        let result = Result { () throws(WriteFailure) -> Receiver<FS>.WriteResult in
            try receiver.write(job, progress: { [observer] bytes in observer.transferProgress(bytes: bytes) })
        }
        finishWrite(WriteOutcome(entry: entry, isNew: countsAsCreated, result: result), item: item)
    }

    /// Counts and reports one finished write; `item` is reported here when it was not reported before.
    private func finishWrite(_ outcome: WriteOutcome, item: ItemizedChange?) {
        let entry = outcome.entry
        if item == nil { writesFinished += 1 }
        switch outcome.result {
        case .success(let written):
            stats.literalData += written.bytes
            stats.matchedData += written.matched
            // Each match was a weak-sum hit confirmed by the strong sum (false alarms are not counted).
            stats.matchedBlocks += written.matchedBlocks
            stats.hashHits += written.matchedBlocks
            if item != nil { observer.transferFinished(bytes: written.bytes) }
            if var item, !options.progress {
                item.bytesTransferred = written.bytes
                observer.report(item)
            }
            warn(written.warnings)
            // rsync prints its redo warning with -v only (FWARNING under INFO_GTE(NAME, 1)).
            if options.verbose > 0 && !options.quiet { for notice in written.notices { observer.error(notice, role: nil) } }
            if let redo = written.redo {
                // Reported after the main pass, as rsync's redo phase is.
                stats.literalData += redo.counts.literal
                stats.matchedData += redo.counts.matched
                // The first pass left the time and modes as they were; only the size now agrees.
                var flags: ItemizeFlags = [.transfer]
                if var before = redo.before {
                    before.size = entry.status.size
                    flags.formUnion(check.attributeFlags(source: entry, destination: before, localChange: false))
                }
                redoReports.append((redo.notice, makeItem(entry, flags: flags)))
            }
        case .failure(let error):
            if item != nil { observer.transferFinished(bytes: -1) }
            if case .interrupted = error {
                wasInterrupted = true
                return
            }
            if outcome.isNew { stats.created.regular -= 1 }
            stats.regularFilesTransferred -= 1
            stats.transferredFileSize &-= entry.status.size
            switch error {
            case .interrupted, .skipped:
                return
            case .sourceReadFailed(let failure):
                // rsync's sender: "read errors mapping", an I/O error (exit 23, no deletions).
                senderIOError = true
                observer.error("[sender] read errors mapping \"\(OutputEscaper.escape(fs.absolute(failure.path), keepHighBit: options.keepHighBit))\": \(failure.errnoText) (\(failure.errno))", role: nil)
            case .failed(let failure, _) where failure.isOutOfSpace:
                // rsync ends the run at the first full-disk write (exit 11); the files in place stay whole.
                diskFull.set()
                if fatalError == nil {
                    fatalError = SyncError(.fileIO,
                        "[receiver] write failed on \"\(OutputEscaper.escape(fs.absolute(destinationPath(entry.name)), keepHighBit: options.keepHighBit))\": \(failure.errnoText) (\(failure.errno))",
                        role: .receiver)
                }
            case .failed(let failure, let call):
                if call == Receiver<FS>.peerFailureCall {
                    // The sender reported its side itself; a broken link ends the run as interrupted.
                    switch failure.errno {
                    case 2: hadVanished = true
                    case 4: wasInterrupted = true
                    case 5: hadErrors = true
                    case 74 where !redoneFiles.contains(entry.fileIndex):
                        // Failed its whole-file check: asked for again, whole, after this pass (rsync's redo).
                        if let job = outcome.job { remoteRedos.append((entry, job, outcome.isNew)) }
                    case 74:
                        fail("ERROR: \(OutputEscaper.escape(entry.name)) failed verification -- update discarded.")
                    default: fail("[receiver] \(OutputEscaper.escape(entry.name)): \(failure.errnoText)")
                    }
                    return
                }
                if call == "send_files failed to open" {
                    let source = OutputEscaper.escape(fs.absolute(entry.sourcePath), keepHighBit: options.keepHighBit)
                    if failure.errno == 2 {
                        observer.error("file has vanished: \"\(source)\"", role: .sender)
                        hadVanished = true
                        return
                    }
                    fail("[sender] send_files failed to open \"\(source)\": \(failure.errnoText) (\(failure.errno))")
                } else {
                    fail("[receiver] \(failure.describing(call: call))")
                }
            }
        }
    }

    /// Waits for the copy workers; called before a directory's time is set and before hard links.
    private func drainWrites() {
        guard let workers = copyWorkers else { return }
        for outcome in workers.drain() { finishWrite(outcome, item: nil) }
        finishDirectoriesWhoseWritesAreDone()
    }

    /// A source file vanished after it was listed (exit 24).
    public private(set) var hadVanished = false

    private func linkToLeader(_ entry: FileEntry, leader: [UInt8], existing: FileStatus?) {
        drainWrites()
        let path = destinationPath(entry.name)
        let leaderPath = destinationPath(leader)
        var existing = existing
        if let current = existing, let leaderStatus = try? fs.lstat(leaderPath),
            current.inode == leaderStatus.inode && current.device == leaderStatus.device
        {
            var item = makeItem(entry, flags: [.localChange, .hardLinkName])
            item.hardLinkLeader = leader
            if options.itemize > 1 { observer.report(item) }
            return
        }
        var flags: ItemizeFlags = [.localChange, .hardLinkName]
        if let current = existing {
            if current.kind == .regular {
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: false))
            } else {
                flags.insert(.isNew)
            }
            guard makeWay(path, existing: current, for: entry) else { return }
            existing = nil
        } else {
            flags.insert(.isNew)
            stats.created.add(.regular)
        }
        if !options.dryRun {
            do { try fs.makeHardLink(path, to: leaderPath) } catch {
                fail("[receiver] \(error.describing(call: "link"))")
                return
            }
        }
        var item = makeItem(entry, flags: flags)
        item.hardLinkLeader = leader
        observer.report(item)
    }

    private func processSymlink(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        let path = destinationPath(entry.name)
        let target = entry.symlinkTarget ?? []
        var existing = destinationStatus(path, name: entry.name)
        if options.existingOnly && existing == nil { return }
        if options.ignoreExisting && existing != nil { return }
        var flags: ItemizeFlags = [.localChange]
        if let current = existing {
            if current.kind == .symlink, let currentTarget = try? fs.readLink(path) {
                let attributes = check.attributeFlags(source: entry, destination: current, localChange: false)
                if currentTarget == target {
                    if !options.dryRun { applyAttributes(path, entry: entry, existing: current, flags: attributes) }
                    reportUpToDate(entry, flags: attributes)
                    return
                }
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: true))
                flags.insert(.reportChange)
                if !options.dryRun && options.backup {
                    do { try receiver.makeBackup(path, name: entry.name) } catch {
                        fail("[generator] backup of \(OutputEscaper.escape(entry.name, keepHighBit: options.keepHighBit)) failed")
                        return
                    }
                } else if !options.dryRun {
                    do { try fs.removeFile(path) } catch {
                        fail("[generator] \(error.describing(call: "unlink"))")
                        return
                    }
                }
            } else {
                guard makeWay(path, existing: current, for: entry) else { return }
                existing = nil
            }
        }
        if existing == nil {
            if linkIdenticalAlternate(entry, path: path) { return }
            if let basis = alternateCandidate(entry, kind: .symlink) {
                flags.formUnion(check.attributeFlags(source: entry, destination: basis.status, localChange: true))
                if (try? fs.readLink(basis.path)) != target { flags.insert(.reportChange) }
            } else {
                flags.insert(.isNew)
                stats.created.add(.symlink)
            }
        }
        if !options.dryRun {
            do { try fs.makeSymlink(path, target: target) } catch {
                fail("[receiver] symlink \"\(OutputEscaper.escape(fs.absolute(path), keepHighBit: options.keepHighBit))\" -> \"\(OutputEscaper.escape(target, keepHighBit: options.keepHighBit))\" failed: \(error.errnoText) (\(error.errno))")
                return
            }
            warn(receiver.finishAttributes(path, permissions: nil, owner: ownerChange(entry.status, nil),
                mtime: check.keepsTime(.symlink) ? entry.status.mtime : nil, isSymlink: true))
        }
        report(entry, flags: flags)
    }

    private func processNode(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        let path = destinationPath(entry.name)
        var existing = destinationStatus(path, name: entry.name)
        if options.existingOnly && existing == nil { return }
        if options.ignoreExisting && existing != nil { return }
        var flags: ItemizeFlags = [.localChange]
        if let current = existing {
            if current.kind == entry.kind && (!entry.kind.isDevice || current.rdev == entry.status.rdev) {
                let attributes = check.attributeFlags(source: entry, destination: current, localChange: false)
                if !options.dryRun { applyAttributes(path, entry: entry, existing: current, flags: attributes) }
                reportUpToDate(entry, flags: attributes)
                return
            }
            if current.kind == entry.kind {
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: true))
                flags.insert(.reportChange)
                if !options.dryRun { try? fs.removeFile(path) }
            } else {
                guard makeWay(path, existing: current, for: entry) else { return }
                existing = nil
            }
        }
        if existing == nil {
            if linkIdenticalAlternate(entry, path: path) { return }
            // As for symlinks: a copy in a reference directory is the basis it is itemized against.
            if let basis = alternateCandidate(entry, kind: entry.kind),
                !entry.kind.isDevice || basis.status.rdev == entry.status.rdev
            {
                flags.formUnion(check.attributeFlags(source: entry, destination: basis.status, localChange: true))
            } else {
                flags.insert(.isNew)
                stats.created.add(entry.kind)
            }
        }
        if !options.dryRun {
            let permissions = check.destinationPermissions(source: entry.status, existing: nil)
            do { try fs.makeNode(path, mode: (entry.status.mode & 0o170000) | permissions, rdev: entry.status.rdev) } catch {
                fail("[receiver] \(error.describing(call: "mknod"))")
                return
            }
            warn(receiver.finishAttributes(path, permissions: permissions, owner: ownerChange(entry.status, nil),
                mtime: check.keepsTime(entry.kind) ? entry.status.mtime : nil))
        }
        report(entry, flags: flags)
    }

    // MARK: Helpers

    /// -K: an entry directly inside a kept symlink that leads outside the destination is refused with
    /// rsync's ELOOP errors (exit 23); a directory's contents are skipped with it.
    private func isBelowLinkLeadingOutside(_ entry: FileEntry) -> Bool {
        guard !linksLeadingOutside.isEmpty, linksLeadingOutside.contains(PathBytes.parent(entry.name)) else {
            return false
        }
        let shown = OutputEscaper.escape(fs.absolute(destinationPath(entry.name)), keepHighBit: options.keepHighBit)
        let refusal = "\(KeptDirectoryLinks<FS>.refusal.text) (\(KeptDirectoryLinks<FS>.refusal.errno))"
        switch entry.kind {
        case .directory:
            fail("[generator] recv_generator: mkdir \"\(shown)\" failed: \(refusal)")
            observer.error("*** Skipping any contents from this failed directory ***", role: nil)
            report(entry, flags: [.localChange, .isNew])  // rsync itemizes it all the same
        case .symlink:
            let target = OutputEscaper.escape(entry.symlinkTarget ?? [], keepHighBit: options.keepHighBit)
            fail("[generator] symlink \"\(shown)\" -> \"\(target)\" failed: \(refusal)")
        default:
            fail("[generator] recv_generator: failed to stat \"\(shown)\": \(refusal)")
        }
        return true
    }

    /// Applies attribute-only changes to an up-to-date entry.
    private func applyAttributes(_ path: [UInt8], entry: FileEntry, existing: FileStatus, flags: ItemizeFlags) {
        guard !options.dryRun else { return }
        let permissions = check.destinationPermissions(source: entry.status, existing: existing)
        let owner = ownerChange(entry.status, existing)
        warn(receiver.finishAttributes(
            path, permissions: permissions != existing.permissions && entry.kind != .symlink ? permissions : nil,
            owner: owner,
            mtime: flags.contains(.reportTime) && check.keepsTime(entry.kind) ? entry.status.mtime : nil,
            isSymlink: entry.kind == .symlink))
    }

    /// The owner and group to set, or nil for each that is kept.
    private func ownerChange(_ source: FileStatus, _ existing: FileStatus?) -> (uid: UInt32?, gid: UInt32?) {
        let uid: UInt32? = options.owner && options.isSuperUser && existing?.uid != source.uid ? source.uid : nil
        let gid: UInt32? = options.group && existing?.gid != source.gid ? source.gid : nil
        return (uid, gid)
    }

    private func makeItem(_ entry: FileEntry, flags: ItemizeFlags) -> ItemizedChange {
        var item = ItemizedChange(
            name: displayName(entry), kind: entry.kind, flags: flags, size: entry.countedSize,
            mtime: entry.status.mtime, permissions: entry.status.mode, uid: entry.status.uid, gid: entry.status.gid)
        if entry.kind == .directory { item.size = entry.status.size }
        item.symlinkTarget = entry.symlinkTarget
        return item
    }

    private func report(_ entry: FileEntry, flags: ItemizeFlags) {
        observer.report(makeItem(entry, flags: flags))
    }

    /// An entry that needs no data: its itemize line, and with -vv (without -i) rsync's "is uptodate".
    private func reportUpToDate(_ entry: FileEntry, flags: ItemizeFlags) {
        report(entry, flags: flags)
        if options.verbose > 1 && options.itemize == 0 && !options.quiet {
            observer.info("\(OutputEscaper.escape(displayName(entry), keepHighBit: options.keepHighBit)) is uptodate")
        }
    }

    private func warn(_ messages: [String]) {
        for message in messages { fail(message) }
    }

    private func fail(_ message: String, role: Role? = nil) {
        hadErrors = true
        observer.error(message, role: role)
    }
}

/// The generator's observer handed to the writer thread of a remote run (see `startCopyWorkers`).
private struct UncheckedObserver: @unchecked Sendable {
    let observer: TransferObserver
    init(_ observer: TransferObserver) { self.observer = observer }
}
