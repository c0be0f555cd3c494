/// The generator: walks the file list one directory at a time, compares each entry with the destination,
/// and decides what the receiver must do (create, update attributes, transfer, link, delete).
///
/// Every run goes through a `SenderLink`: a local run's sender is in this process (`LocalSenderLink`),
/// a remote run's is the peer.
public final class Generator<FS: FileSystem> {
    let fs: FS

    let options: SyncOptions

    let observer: TransferObserver

    var receiver: Receiver<FS>

    let check: QuickCheck

    /// What a new entry's permissions are masked with in the directory being walked (rsync's `dflt_perms`).
    var newEntryPermissions: UInt32

    var builder: FileListBuilder<FS>

    let deleter: Deleter<FS>

    public internal(set) var stats = TransferStats()

    /// A per-file error happened (exit 23).
    public internal(set) var hadErrors = false

    /// Set once SIGINT/SIGTERM stopped the run (exit 20).
    public internal(set) var wasInterrupted = false

    /// A per-directory rules file failed, or the disk is full: the walk stops, no deletions follow,
    /// and the run ends with this error.
    var fatalError: SyncError?
    /// Called once the destination root is resolved (and made), before anything else is written or
    /// read in it: a server confines itself here (`ServerConfinement`).
    public var beforeTransfer: ((_ destinationRoot: [UInt8]) -> Void)?
    /// Set where this end prints rsync's whole-list progress lines (`FileListProgress`): a local run's
    /// and a pull's client, never a server.
    public var announcesWholeFileList: FileListProgress.Side?

    /// Set by the first write that finds the disk full, for the copy workers still holding jobs.
    let diskFull = StopFlag()

    /// The destination directory `walk` is in, open, with its name relative to the transfer root: its
    /// entries are looked up through it (`destinationStatus`).
    var destinationDirectory: (name: [UInt8], handle: any DirectoryHandle)?
    /// `--jobs`: looks up a large destination directory's entries at once (`Generator+Lookups.swift`).
    let lookups: ParallelLookups<FS>?
    /// The destination status looked up for the entry being processed, for its first look.
    var lookedUpStatus: (name: [UInt8], status: Result<FileStatus, SystemCallError>)?
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
    /// -H with `--delay-updates`: groups whose leader's new data waits in a partial directory until the
    /// end; their later members are linked after it is renamed into place (rsync's `handle_delayed_updates`
    /// finishes the hard links), not to the old file still under the leader's name.
    var leadersWithDelayedData = Set<HardLinkGroups.Key>()

    /// -H: members held back until their group's leader is known.
    var hardLinkGroups = HardLinkGroups()

    /// Set while held-back members are processed at the end of the run.
    var isLinkingLateMembers = false

    /// Directories whose time must be set again after late hard links.
    var directoriesToRefinish: [(entry: FileEntry, isNew: Bool)] = []
    /// `-y`: the fuzzy-basis candidates of the destination directory last asked about, and the files
    /// there that this run replaces.
    var fuzzyCandidates: (directory: [UInt8], lists: [[FuzzyBasis.Candidate]])?
    var fuzzyChanging: Set<[UInt8]> = []
    /// `--delay-updates`: the finished files waiting in partial directories, and the directories they
    /// go into (whose times are set again after the renames).
    var delayedUpdates: [(entry: FileEntry, update: DelayedUpdate)] = []
    var directoriesWithDelayedUpdates: Set<[UInt8]> = []
    var directoriesToRetouch: [(entry: FileEntry, isNew: Bool)] = []
    /// Existing directories whose time could not be set when the generator reached them: as rsync's
    /// `set_file_attrs`, their mode is left alone, and the touch-up after their contents says nothing more.
    var directoriesWithFailedTimes: Set<[UInt8]> = []
    /// Existing directories given the owner's full access while files go in (a run that is not root's),
    /// with the mode each gets back afterwards.
    var directoriesOpenedForWriting: [[UInt8]: UInt32] = [:]

    /// `--link-dest`/`--copy-dest`/`--compare-dest`, resolved once the destination is known.
    var references: ReferenceDirectories<FS>

    /// Parallel writers for whole-file copies (nil when output must follow each copy, as with --progress).
    var copyWorkers: CopyWorkers<PendingWrite, WriteOutcome>?

    /// For progress lines: entries of the root listing, and entries checked so far.
    var rootEntryCount = 0

    var rootListedSize: Int64 = 0

    var entriesDone = 0

    /// The sender's listings, made ahead on another thread.
    var fileList: (any ListingSource)?
    /// A peer's listings, all taken before the transfer to count them (`announceWholeFileList`).
    var wholeFileList: (any ListingSource)?
    /// `-m`: the sender's listings without the pruned directories.
    var prunedListings: (any ListingSource)?

    /// A source could not be read (rsync's `io_error`): no deletions from then on.
    var senderIOError = false

    /// A source vanished while it was listed (exit 24).
    var senderVanished = false

    /// The sender: in this process, or the peer.
    var link: SenderLink?

    /// A remote run: where the peer's file data arrives (nil for a sender in this process).
    var peerData: IncomingData? {
        guard let link, case .peer(let incoming) = link.delivery else { return nil }
        return incoming
    }

    /// Directories whose contents are being written on the copy workers (or, in a remote run, were
    /// requested and may not have arrived yet). Their time and permissions are set once every write
    /// submitted before them is done, in the order the walk left them (contents before their directory), so
    /// the generator never waits for the writers at a directory's end.
    var directoriesAwaitingWrites: [(entry: FileEntry, isNew: Bool, writesBefore: Int)] = []

    /// Writes handed to the copy workers so far; each has its number in that order.
    var writesSubmitted = 0

    /// Every write numbered below this one is done (writers finish out of order).
    var writesDoneBelow = 0
    /// Writes done while one numbered lower is still running.
    var writesDoneAhead = Set<Int>()

    /// A remote run: files whose rebuilt data failed the whole-file check, to ask for again whole.
    var remoteRedos: [(entry: FileEntry, job: Receiver<FS>.WriteJob, isNew: Bool)] = []

    var redoneFiles: Set<Int> = []

    /// A remote run: the files the sender may forget (nil in a local run).
    var releaseTracker: ReleaseTracker?

    /// `sourceFileSystem`: what a local run's sender lists and reads, when it is not `fs` (`--fake-super`
    /// reads a destination's symlinks and attributes otherwise than a source's).
    public init(fs: FS, sourceFileSystem: FS? = nil, options: SyncOptions, observer: TransferObserver) {
        self.fs = fs
        self.options = options
        self.observer = observer
        let interruptCheck = observer.interruptCheck
        self.receiver = Receiver(fs: fs, options: options, isInterrupted: interruptCheck)
        self.check = QuickCheck(options: options)
        self.newEntryPermissions = check.defaultPermissions
        self.builder = FileListBuilder(fs: sourceFileSystem ?? fs, options: options)
        self.deleter = Deleter(fs: fs, options: options, observer: observer, receiver: receiver)
        self.keptLinks = KeptDirectoryLinks(fs: fs)
        self.references = ReferenceDirectories(fs: fs, check: check)
        self.lookups = ParallelLookups(fs: fs, threads: options.jobs)
    }

    /// The exit status this run earned.
    public var exitStatus: ExitStatus {
        // rsync's precedence: a partial transfer (23) or vanished files (24) outrank the --max-delete
        // limit (25), which is only the exit code when nothing else went wrong.
        .combined(
            wasInterrupted ? .signal : .success,
            hadErrors || senderIOError || deleter.backupFailures > 0 ? .partial : .success,
            senderVanished || hadVanished ? .vanished : .success,
            deleter.skippedByMaxDelete > 0 ? .maxDelete : .success)
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

    /// Runs the whole transfer of `tree` into `destination`, with a sender in this process.
    public func run(tree: SourceTree, destination: [UInt8]) throws(SyncError) {
        defer { stats.fileListGenerationSeconds = builder.buildTime.seconds(options) }
        try run(link: LocalSenderLink(builder: builder, tree: tree, observer: observer), destination: destination)
    }

    /// The sender's listings below the root, with the owner maps applied.
    func senderListings(_ link: SenderLink) -> any ListingSource {
        if let wholeFileList { return wholeFileList }
        guard let mapping = OwnerMapping(options) else { return link.listings }
        return OwnerMappedListings(inner: link.listings, mapping: mapping)
    }

    /// Runs a transfer from the sender `link` into `destination`.
    public func run(link: SenderLink, destination: [UInt8]) throws(SyncError) {
        self.link = link
        // A peer's list is timed as it reaches the generator: how long its initial list took to come (a
        // local sender's own figure replaces this, see run(tree:destination:)).
        let rootWait = FileListBuildTime()
        var root = try rootWait.measure(isRoot: true) { () throws(SyncError) in try link.receiveRoot() }
        stats.fileListGenerationSeconds = rootWait.seconds(options)
        if link.ioError { senderIOError = true }
        if let mapping = OwnerMapping(options) {
            root.listing = mapping.apply(root.listing)
            root.dotEntry = root.dotEntry.map(mapping.apply)
        }
        if let side = announcesWholeFileList, FileListProgress.isShown(options) {
            announceWholeFileList(root: root.listing, hasDotEntry: root.dotEntry != nil, link: link, side: side)
        }
        if options.hardLinks && (options.copyLinks || options.copyUnsafeLinks) {
            countHardLinkMembers(root: root.listing, link: link)
        }
        let rootListing = options.pruneEmptyDirs ? pruneEmptyDirectories(root: root.listing, link: link) : root.listing
        try transfer(rootListing: rootListing, rootEntry: root.dotEntry, sourceArguments: root.sourceArguments,
            destination: destination, link: link)
    }

    /// The run from the root listing on.
    func transfer(rootListing: SourceListing, rootEntry givenRootEntry: FileEntry?, sourceArguments: Int,
        destination: [UInt8], link: SenderLink) throws(SyncError)
    {
        // A "." that is only a -R implied directory is made (and given its attributes) unless
        // --no-implied-dirs; its contents were not sent, so it is never a directory to delete in.
        let rootEntry = givenRootEntry?.isImpliedDirectory == true && !options.impliedDirs ? nil : givenRootEntry
        let rootHasContents = rootEntry.map { !$0.isImpliedDirectory } ?? false
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
        try checkDestinationTrust(destination)
        try resolveDestination(destination, rootListing: rootListing, hasRootEntry: rootEntry != nil,
            sourceArguments: sourceArguments)
        // A relative --temp-dir is relative to the destination directory (rsync's receiver works from there).
        let temporaryDirectory = options.tempDir.map {
            $0.first == PathBytes.slash ? $0 : PathBytes.join(destinationRoot, $0)
        }
        if let tempDir = options.tempDir, (try? fs.stat(temporaryDirectory!))?.kind != .directory {
            throw SyncError(.syntax, "The temp-dir does not exist: \(OutputEscaper.escape(tempDir, highBytes: options.highBytes))")
        }
        resolveReferenceDirectories()
        beforeTransfer?(destinationRoot)
        announceBackupDirectory()
        if let line = RunNotices.deltaTransmission(options) { observer.info(line) }
        receiver.destinationRoot = destinationRoot
        if let temporaryDirectory { openTemporaryDirectory(temporaryDirectory) }
        deleter.receiver = receiver
        startCopyWorkers()
        if peerData != nil { releaseTracker = ReleaseTracker() }
        rootEntryCount = rootListing.entries.count + (rootEntry == nil ? 0 : 1)
        rootListedSize = rootListing.transferSize(links: options.links)
        entriesDone = rootEntry == nil ? 0 : 1

        if options.effectiveDeleteTiming == .before, let tree = link.treeForDeletionPass {
            deleteBefore(tree: tree, rootListing: rootListing, hasRootEntry: rootHasContents)
        }
        var rootState: DirectoryState?
        // The root entry and a single file renamed into place take the destination's own default ACL, as
        // rsync's do (its generator works in the destination directory).
        if !options.perms, !options.dryRun || !createdDestination {
            newEntryPermissions = defaultPermissions(of: (try? fs.openDirectory(destinationRoot)).map { ([], $0) })
        }
        if let rootEntry {
            rootState = processDirectoryEntry(rootEntry, destinationIsNew: createdDestination)
            stats.files.add(.directory)
        }
        let fileList = prunedListings ?? senderListings(link)
        self.fileList = fileList
        walk(listing: rootListing, relativeName: [], isContentDirectory: rootHasContents)
        if let pruning = fileList as? PruningListingSource, !wasInterrupted, fatalError == nil {
            accept(pruning.remainder())
        }
        fileList.finish()
        drainWrites()
        redoRemoteFailures()
        if link.ioError { senderIOError = true }
        if let rootEntry, let rootState { finishDirectory(rootEntry, isNew: rootState.isNew) }
        installDelayedUpdates()
        if options.hardLinks && !wasInterrupted && fatalError == nil { linkLateMembers() }
        drainWrites()
        for redo in redoReports {
            observer.error(.bare(redo.notice))
            observer.report(redo.item)
        }
        if let refused = deleter.refusedBackup { backupWasRefused(destination: refused.destination, cause: refused.cause) }
        if let fatalError { throw fatalError }

        drainWrites()
        // An interrupted run deletes nothing more (rsync stops at the signal).
        if let timing = options.effectiveDeleteTiming, timing == .after || timing == .delay, !wasInterrupted {
            deleter.runDeferred(ioError: senderIOError)
            if let refused = deleter.refusedBackup {
                backupWasRefused(destination: refused.destination, cause: refused.cause)
                if let fatalError { throw fatalError }
            }
        }
        stats.deleted = deleter.deleted
    }

    /// Decides whether the destination is a directory to fill or a file to write (rsync `get_local_name`).
    func resolveDestination(
        _ destination: [UInt8], rootListing: SourceListing, hasRootEntry: Bool, sourceArguments: Int
    ) throws(SyncError) {
        let existing = try? fs.stat(destination)
        // --shard: a lone named source another shard owns leaves this shard nothing, and the destination
        // to the owner (which may write it as a file).
        let single = !hasRootEntry && sourceArguments <= 1
            && (rootListing.entries.count == 1 && !rootListing.entries[0].isDirectory
                || options.shard != nil && rootListing.entries.isEmpty)
        let endsWithSlash = destination.last == PathBytes.slash
        if let existing, existing.kind == .directory {
            destinationRoot = destination
            return
        }
        if existing == nil && !options.mkpath && single && !endsWithSlash {
            let parent = PathBytes.parent(destination)
            if (try? fs.stat(parent)) == nil {
                throw SyncError(.fileSelection,
                    "[Receiver] change_dir#3 \"\(OutputEscaper.escape(fs.absolute(parent), highBytes: options.highBytes))\" failed: No such file or directory (2)",
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
                "ERROR: destination must be a directory when copying more than 1 file", isPrefixed: false)
        }
        if options.mkpath {
            makePath(destination)
            destinationRoot = destination
            createdDestination = options.dryRun
            return
        }
        if !options.dryRun {
            do {
                try makeDirectoryUnlessPresent(FileLocation(path: destination), permissions: 0o777)
            } catch {
                let shown = PathBytes.trimmingTrailingSlashes(fs.absolute(destination))
                throw SyncError(.fileIO, "[Receiver] \(error.describing(call: "mkdir", path: shown))", role: .receiver)
            }
        }
        if announcesCreatedDirectories {
            let shown = PathBytes.trimmingTrailingSlashes(destination)
            observer.info("created directory \(OutputEscaper.escape(shown, highBytes: options.highBytes))")
        }
        destinationRoot = destination
        createdDestination = true
    }

    /// The permission bits a destination entry ends with (rsync `dest_mode`) in the directory being walked.
    func destinationPermissions(source: FileStatus, existing: FileStatus?) -> UInt32 {
        check.destinationPermissions(source: source, existing: existing, defaultPermissions: newEntryPermissions)
    }

    /// rsync's `default_perms_for_dir`: without `-p`, what new entries in `directory` may keep of their
    /// source's access bits: its default ACL's (owner, mask or group, other), or the umask's complement.
    func defaultPermissions(of directory: (name: [UInt8], handle: any DirectoryHandle)?) -> UInt32 {
        let umasked = 0o777 & ~options.umask
        guard !options.perms, let directory = directory?.handle,
            let stored = try? fs.securityAttributes(FileLocation(PathBytes.dot, in: directory), kind: .directory,
                selection: .defaultACL),
            let acl = stored.defaultACL ?? nil
        else { return umasked }
        return acl.modeBits
    }

    /// `--info=backup`: where the backups go, and whether that directory is still to be made ("(new)"), as
    /// rsync says it once the destination is there.
    func announceBackupDirectory() {
        guard options.showsBackups, options.backup, let backupDir = options.backupDir else { return }
        let root = backupDir.first == PathBytes.slash ? backupDir : PathBytes.join(destinationRoot, backupDir)
        let exists = (try? fs.stat(root))?.kind == .directory
        let shown = OutputEscaper.escape(PathBytes.trimmingTrailingSlashes(backupDir), highBytes: options.highBytes)
        observer.info(exists ? "backup_dir is \(shown)" : "(new) backup_dir is \(shown)")
    }

    /// rsync prints "created directory" with `--info=name` (-v, `--progress`), or when the output format
    /// itemizes (`%i`).
    var announcesCreatedDirectories: Bool {
        guard !options.quiet else { return false }
        return options.nameLevel > 0 || options.outputItemizes
    }

    func destinationPath(_ name: [UInt8]) -> [UInt8] {
        if let renamedSingleFile { return PathBytes.join(destinationRoot, renamedSingleFile) }
        return PathBytes.join(destinationRoot, name)
    }

    func displayName(_ entry: FileEntry) -> [UInt8] {
        entry.name
    }

    // MARK: Walk

    /// `isPassedThrough`: a full-path mode directory, made only once something inside it is sent.
    func walk(listing: FileListBuilder<FS>.Listing, relativeName: [UInt8], isContentDirectory: Bool,
        isPassedThrough: Bool = false, isUnsentImplied: Bool = false)
    {
        // This directory's handle while its entries are examined; the enclosing walk's again on return.
        let enclosing = (destinationDirectory, newEntryPermissions)
        defer { (destinationDirectory, newEntryPermissions) = enclosing }
        do {
            destinationDirectory = try openDestinationDirectory(relativeName, mayBeMissing: isPassedThrough,
                isUnsentImplied: isUnsentImplied)
        } catch {
            skipEntries(of: listing, in: relativeName, because: error)
            return
        }
        if destinationDirectory != nil { newEntryPermissions = defaultPermissions(of: destinationDirectory) }
        // A remote run has no whole list to scan first: --delete-before deletes as it goes, like --delete-during.
        if isContentDirectory, var timing = options.effectiveDeleteTiming, timing != .before || peerData != nil {
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
        releaseFiles(before: listing)
        let statuses = lookUpDestinationEntries(of: listing)
        defer { lookedUpStatus = nil }
        // By index, so each entry is passed in place (a `for entry in` copies every entry out, a retain per field).
        for index in listing.entries.indices where !listing.entries[index].isDirectory {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted || fatalError != nil { return }
            entriesDone += 1
            makePassedThroughDirectories()
            offerLookedUpStatus(statuses, index: index, entry: listing.entries[index])
            processNonDirectory(listing.entries[index])
        }
        for (index, entry) in listing.entries.enumerated() where entry.isDirectory {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted || fatalError != nil { return }
            entriesDone += 1
            offerLookedUpStatus(statuses, index: index, entry: entry)
            let descends = listing.descends(into: entry, recursive: options.recursive)
            if entry.isPassedThrough {
                // Made only if something inside is sent (see makePassedThroughDirectories).
                passedThrough.append(entry)
                if descends, let fileList {
                    let childListing = fileList.next()
                    accept(childListing)
                    walk(listing: childListing, relativeName: entry.name, isContentDirectory: false,
                        isPassedThrough: true)
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
                if descends { fileList?.skipSubtree(recursive: options.recursive) { acceptUnvisited($0) } }
                continue
            }
            if descends, let fileList {
                let childListing = fileList.next()
                accept(childListing)
                let marksMissing = options.dryRun && state.isNew && dryRunMissingBelow == nil
                if marksMissing { dryRunMissingBelow = entry.name }
                walk(listing: childListing, relativeName: entry.name,
                    isContentDirectory: childListing.isContentDirectory,
                    isUnsentImplied: !entry.isSent(impliedDirs: options.impliedDirs))
                if marksMissing { dryRunMissingBelow = nil }
            }
            if entry.isSent(impliedDirs: options.impliedDirs) {
                directoriesAwaitingWrites.append((entry, state.isNew, writesSubmitted))
                finishDirectoriesWhoseWritesAreDone()
            }
        }
    }

    /// `--delete-before`: a deletion-only pass over the whole tree before any transfer.
    func deleteBefore(tree: SourceTree, rootListing: FileListBuilder<FS>.Listing, hasRootEntry: Bool) {
        var scanner = FileListBuilder.rescanner(of: tree, fs: fs, options: options)
        /// Deletes what `listing` lacks; false once interrupted.
        func visit(_ listing: FileListBuilder<FS>.Listing, relativeName: [UInt8], isContent: Bool) -> Bool {
            if observer.isInterrupted { wasInterrupted = true }
            if wasInterrupted { return false }
            if isContent {
                let keep = Set(listing.entries.map { PathBytes.lastComponent($0.name) })
                let directoryName = relativeName.isEmpty ? PathBytes.dot : relativeName
                deleter.collectExtraneous(in: destinationPath(directoryName), name: relativeName, keeping: keep)
            }
            return true
        }
        if visit(rootListing, relativeName: [], isContent: hasRootEntry), options.recursive {
            var walk = PreOrderWalk(root: rootListing, recursive: options.recursive)
            while let subdirectory = walk.next() {
                let name = subdirectory.entry.name
                let child = scanner.list(subdirectory.source, relativeName: name)
                guard visit(child, relativeName: name, isContent: !subdirectory.source.listings.isEmpty) else { break }
                walk.enter(child)
            }
        }
        // Nothing is deleted until the whole source has been scanned: an I/O error anywhere in it
        // (a directory that cannot be read) stops every deletion, as rsync's complete list does.
        if !wasInterrupted {
            deleter.runDeferred(ioError: senderIOError || scanner.ioError, keepingParentTimes: false)
        }
    }

    /// Full-path mode: sends the excluded directories being walked through once something inside them
    /// is sent, outermost first, so included paths keep their parents (with the source's attributes).
    func makePassedThroughDirectories() {
        guard !passedThrough.isEmpty else { return }
        for directory in passedThrough {
            stats.files.add(.directory)
            if let state = processDirectoryEntry(directory) { madePassedThrough[directory.name] = state }
        }
        passedThrough.removeAll()
    }

    /// Takes in a listing the generator does not walk (below a directory it skipped): its messages, and
    /// its entries in the `--stats` counts, which cover the whole file list as rsync's sender counts it.
    func acceptUnvisited(_ listing: FileListBuilder<FS>.Listing) {
        accept(listing)
        for entry in listing.entries { countUnvisited(entry) }
    }

    /// An entry of the file list the generator passes over, counted for `--stats` all the same.
    func countUnvisited(_ entry: FileEntry) {
        if !entry.isPassedThrough && !entry.isMissingArgument { stats.countListed(entry) }
    }

    /// Takes in what the sender reported while listing a directory.
    func accept(_ listing: FileListBuilder<FS>.Listing) {
        if let failure = listing.fatalError, fatalError == nil { fatalError = failure }
        listing.deliverMessages(to: observer)
        if listing.hadIOError { senderIOError = true }
        if listing.hadVanished { senderVanished = true }
    }

    // MARK: Directories

    /// A source file vanished after it was listed (exit 24).
    public internal(set) var hadVanished = false

    /// Applies attribute-only changes to an up-to-date entry.
    func applyAttributes(_ path: [UInt8], entry: FileEntry, existing: FileStatus, flags: ItemizeFlags) {
        guard !options.dryRun else { return }
        let permissions = destinationPermissions(source: entry.status, existing: existing)
        let owner = ownerChange(entry.status, existing)
        let location = destinationLocation(path, name: entry.name)
        let newPermissions = permissions != existing.permissions && entry.kind != .symlink ? permissions : nil
        let mtime = flags.contains(.reportTime) && check.keepsTime(entry.kind) ? entry.status.mtime : nil
        let atime = check.keepsAccessTime(entry.kind) && entry.status.atime != existing.atime ? entry.status.atime : nil
        let security = flags.isDisjoint(with: [.reportACL, .reportExtendedAttributes]) ? nil
            : securityChange(entry, mode: permissions)
        // Most entries of a re-run have nothing to change: no call into the receiver for them.
        if newPermissions != nil || owner.uid != nil || owner.gid != nil || mtime != nil || atime != nil || security != nil {
            warn(receiver.finishAttributes(role: .generator, location, permissions: newPermissions, owner: owner,
                mtime: mtime, atime: atime, isSymlink: entry.kind == .symlink, security: security))
        }
        settleAttributes(location)
    }

    /// `FileSystem.settleAttributes` on an entry the run is done with.
    func settleAttributes(_ location: FileLocation) {
        do { try fs.settleAttributes(location) } catch {
            warn(["[generator] \(error.describing(call: "lsetxattr"))"])
        }
    }

    /// The owner and group to set, or nil for each that is kept.
    func ownerChange(_ source: FileStatus, _ existing: FileStatus?) -> (uid: UInt32?, gid: UInt32?) {
        let uid: UInt32? = options.owner && options.isSuperUser && existing?.uid != source.uid ? source.uid : nil
        let gid: UInt32? = options.group && existing?.gid != source.gid
            && (options.isSuperUser || options.memberGroups?.contains(source.gid) != false) ? source.gid : nil
        return (uid, gid)
    }

    func makeItem(_ entry: FileEntry, flags: ItemizeFlags) -> ItemizedChange {
        var item = ItemizedChange(
            name: displayName(entry), kind: entry.kind, flags: flags, size: entry.countedSize,
            mtime: entry.status.mtime, permissions: entry.status.mode, uid: entry.status.uid, gid: entry.status.gid)
        if entry.kind == .directory { item.size = entry.status.size }
        item.symlinkTarget = entry.symlinkTarget
        return item
    }

    /// The itemize line of an entry now in place (or, in a dry run, that would be); a non-directory
    /// reported here counts as received for `--remove-source-files`.
    func report(_ entry: FileEntry, flags: ItemizeFlags) {
        observer.report(makeItem(entry, flags: flags))
        if !entry.isDirectory { received(entry) }
    }

    /// rsync's `MSG_SUCCESS` for a non-directory the receiver has in place: with
    /// `--remove-source-files` the sender removes its source (never in a dry run).
    func received(_ entry: FileEntry) {
        guard options.removeSourceFiles, !options.dryRun, let link else { return }
        var destination: (device: UInt64, inode: UInt64)?
        if case .inProcess = link.delivery {
            let location = destinationLocation(destinationPath(entry.name), name: entry.name)
            if let status = try? fs.lstat(location.name, in: location.directory) {
                destination = (status.device, status.inode)
            }
        }
        if link.received(entry, destination: destination) { hadErrors = true }
    }

    /// An entry that needs no data: its itemize line, and with -vv (without -i) rsync's "is uptodate".
    func reportUpToDate(_ entry: FileEntry, flags: ItemizeFlags) {
        observer.report(makeItem(entry, flags: flags))
        // rsync's set_file_attrs: the bare name when an attribute was changed, else "is uptodate".
        let changed: ItemizeFlags = [.reportTime, .reportPerms, .reportOwner, .reportGroup, .reportACL,
            .reportExtendedAttributes, .reportAccessTime]
        if flags.isDisjoint(with: changed) {
            noteUpToDate(entry)
        } else if options.reportsUpToDateNames {
            observer.info(OutputEscaper.escape(displayName(entry), highBytes: options.highBytes))
        }
        if !entry.isDirectory { received(entry) }
    }

    /// rsync's -vv "NAME is uptodate" (a directory's with its slash) for an entry that needs nothing: a
    /// reference directory's exact copy, a hard link already in place.
    func noteUpToDate(_ entry: FileEntry) {
        guard options.reportsUpToDateNames else { return }
        let name = OutputEscaper.escape(displayName(entry), highBytes: options.highBytes)
        observer.info(name + (entry.isDirectory ? "/" : "") + " is uptodate")
    }

    func warn(_ messages: [String]) {
        for message in messages { fail(message) }
    }

    func fail(_ message: String, role: Role? = nil) {
        fail(Diagnostic(message, role: role))
    }

    func fail(_ diagnostic: Diagnostic) {
        hadErrors = true
        observer.error(diagnostic)
    }
}
