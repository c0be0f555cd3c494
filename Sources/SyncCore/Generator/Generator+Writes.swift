/// The generator's hand-off to the receiver: the write job for a file, the copy workers that run it
/// (several local files at once; a remote run's files one by one, in request order), and the outcome
/// of each write, counted and reported.
extension Generator {
    /// Starts the copy workers once the receiver knows the destination.
    func startCopyWorkers() {
        let remote = peerData != nil
        // `%C` reports each file after it is written, so a local run writing it writes inline; so does one
        // under --bwlimit, where several writers would share the same pace and only lose rsync's order (a file
        // is opened, and its length taken, when the one before it is done).
        let inline = options.progress || options.progressTotal || options.reportsFileChecksums
            || options.bandwidthLimit != nil
        if !options.dryRun && (remote || options.jobs > 1 && !inline) {
            let receiver = self.receiver
            // A remote run with --progress shows each file from the writer as its data arrives; the
            // observer of a remote run is safe to call from there (SyncRemote's LockedObserver).
            let progress = showsProgressFromWriter ? UncheckedObserver(observer) : nil
            let diskFull = diskFull
            // A remote run writes one file at a time in request order, with many requests in flight.
            copyWorkers = CopyWorkers(capacity: remote ? Self.requestWindow : options.jobs * 4,
                threads: remote ? 1 : options.jobs) { pending in
                if let progress, let item = pending.item {
                    progress.observer.report(item)
                    progress.observer.transferStarted(name: pending.entry.name, size: pending.entry.status.size)
                }
                // After a full disk the queued files are not started (rsync stops at the first).
                let result = diskFull.isSet ? .failure(.skipped) : Result { () throws(WriteFailure) -> Receiver<FS>.WriteResult in
                    try receiver.write(pending.job, progress: { bytes in progress?.observer.transferProgress(bytes: bytes) })
                }
                if case .failure(.destination(let error)) = result, error.isOutOfSpace { diskFull.set() }
                if let progress, pending.item != nil {
                    let succeeded = (try? result.get()) != nil
                    progress.observer.transferFinished(bytes: succeeded ? pending.entry.status.size : -1)
                }
                return WriteOutcome(entry: pending.entry, isNew: pending.isNew, result: result, job: pending.job,
                    heldItem: progress == nil ? pending.item : nil, number: pending.number)
            }
        } else {
            copyWorkers = nil
        }
    }

    /// A remote run with `--progress`: the writer reports each file and its progress.
    var showsProgressFromWriter: Bool {
        peerData != nil && (options.progress || options.progressTotal) && !options.quiet
    }

    /// Requests a remote run keeps in flight (the protocol's default window).
    public static var requestWindow: Int { 1024 }

    /// rsync's redo pass for a remote run: each file whose delta failed its whole-file check is asked
    /// for again, whole. A second failure is an error (exit 23). The parent directory keeps its time.
    func redoRemoteFailures() {
        guard let link, peerData != nil, let workers = copyWorkers else { return }
        while !remoteRedos.isEmpty && !wasInterrupted && fatalError == nil {
            let redos = remoteRedos
            remoteRedos = []
            var parents: [[UInt8]: FileTime] = [:]
            for redo in redos {
                if options.verbose > 0 && !options.quiet {
                    observer.error(.bare("WARNING: \(OutputEscaper.escape(redo.entry.name)) failed verification -- update discarded (\(options.readsBatch ? "may" : "will") try again)."))
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
                submit(PendingWrite(entry: redo.entry, job: job, isNew: redo.isNew), to: workers)
            }
            drainWrites()
            if check.keepsTime(.directory) {
                for (parent, mtime) in parents { try? fs.setModificationTime(parent, mtime) }
            }
        }
    }

    /// Hands `pending` to the copy workers, numbered, and notes it for a remote run's release mark.
    func submit(_ pending: PendingWrite, to workers: CopyWorkers<PendingWrite, WriteOutcome>) {
        var pending = pending
        pending.number = writesSubmitted
        writesSubmitted += 1
        releaseTracker?.writeSubmitted(pending.entry.fileIndex)
        workers.submit(pending)
    }

    /// Counts write `number` done; `writesDoneBelow` moves past every write done in a row.
    func countWriteDone(_ number: Int) {
        if number != writesDoneBelow {
            writesDoneAhead.insert(number)
            return
        }
        writesDoneBelow += 1
        while writesDoneAhead.remove(writesDoneBelow) != nil { writesDoneBelow += 1 }
    }

    /// Sets the time and permissions of each waiting directory whose writes have all finished, in the
    /// order the walk left them (contents before their directory).
    func finishDirectoriesWhoseWritesAreDone() {
        var done = 0
        for pending in directoriesAwaitingWrites {
            guard pending.writesBefore <= writesDoneBelow else { break }
            finishDirectory(pending.entry, isNew: pending.isNew)
            done += 1
        }
        if done > 0 { directoriesAwaitingWrites.removeFirst(done) }
    }

    func writeJob(_ entry: FileEntry, path: [UInt8], existing: FileStatus?) -> Receiver<FS>.WriteJob {
        // The temp file is new: it needs the preserved owner and group even when the old file had them.
        let owner = ownerChange(entry.status, nil)
        let permissions = destinationPermissions(source: entry.status, existing: existing)
        var job = Receiver<FS>.WriteJob(
            source: entry.sourcePath,
            sourceLocation: entry.sourceDirectory.map { FileLocation(PathBytes.lastComponent(entry.sourcePath), in: $0) },
            sourceSize: entry.status.size, destination: path,
            location: destinationLocation(path, name: entry.name), name: entry.name,
            permissions: permissions,
            uid: owner.uid, gid: owner.gid, mtime: check.keepsTime(.regular) ? entry.status.mtime : nil,
            existing: existing, basis: deltaBasis(entry, path: path, existing: existing),
            appendOffset: options.append > 0 && existing?.kind == .regular ? existing?.size : nil)
        job.security = securityChange(entry, mode: permissions)
        if check.keepsAccessTime(.regular) { job.atime = entry.status.atime }
        return job
    }

    /// With `--no-whole-file`, the file the delta is made against (rsync's `fnamecmp`): a partial file
    /// left in `--partial-dir`, else the current destination file, else a copy in a reference directory.
    func deltaBasis(_ entry: FileEntry, path: [UInt8], existing: FileStatus?) -> DeltaBasis? {
        guard options.wholeFile == false else { return nil }
        if let partialDirectory = PartialDirectory(options),
            case let partial = partialDirectory.file(named: path, in: PathBytes.parent(path)),
            (try? fs.lstat(partial))?.kind == .regular
        {
            // Found by path (cheap, and rare); used through the partial directory's handle.
            switch partialDirectory.open(in: PathBytes.parent(path), fs: fs) {
            case .opened(let directory):
                let location = FileLocation(PathBytes.lastComponent(path), in: directory)
                if (try? fs.lstat(location.name, in: directory))?.kind == .regular {
                    return DeltaBasis(path: partial, location: location)
                }
            case .refused(let refusal):
                // One behind another user's symlink is no basis (rsync warns, as for each refused lookup).
                warnOfRefusal(refusal)
            case .absent:
                break
            }
        }
        if let existing, existing.kind == .regular {
            return DeltaBasis(path: path, location: destinationLocation(path, name: entry.name), isDestination: true)
        }
        if let reference = references.candidate(for: entry, kind: .regular) {
            return DeltaBasis(path: reference.path, location: reference.location)
        }
        return fuzzyBasis(for: entry)
    }

    /// A write handed to a copy worker.
    struct PendingWrite: Sendable {
        var entry: FileEntry
        var job: Receiver<FS>.WriteJob
        var isNew: Bool
        /// Reported by the writer (a remote run with `--progress`), just above the file's progress; or, for
        /// `%C`, after the write (the outcome hands it back).
        var item: ItemizedChange? = nil
        /// Its place among the writes submitted (`Generator.submit`).
        var number = 0
    }

    /// The outcome of one write, as a copy worker hands it back.
    struct WriteOutcome: Sendable {
        var entry: FileEntry
        var isNew: Bool
        var result: Result<Receiver<FS>.WriteResult, WriteFailure>
        /// The job, for a remote file sent again after a failed check (rsync's redo pass).
        var job: Receiver<FS>.WriteJob? = nil
        /// The line reported once the file is written (`%C` in a remote run).
        var heldItem: ItemizedChange? = nil
        /// The write's number when a copy worker ran it; nil for one written inline.
        var number: Int? = nil
    }

    func transfer(_ entry: FileEntry, to path: [UInt8], existing: FileStatus?, flags: ItemizeFlags,
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
            if options.writesBatchOnly { requestForBatchOnly(entry, path: path, existing: existing) }
            return
        }
        var job = writeJob(entry, path: path, existing: existing)
        if peerData == nil, let reader = options.readerUID, SourceReadability.mayRefuse(entry.status, reader: reader) {
            // As rsync's sender, a source this user may not open is reported without its itemized line.
            do throws(SystemCallError) { _ = try receiver.openLocalSource(job) } catch {
                writeFailed(.sourceUnopenable(error), entry: entry, isNew: countsAsCreated)
                return
            }
        }
        if existing == nil, let modeFrom {
            job.permissions = destinationPermissions(source: entry.status, existing: modeFrom)
        }
        if let link, let incoming = peerData {
            // The basis's signature goes with the request; the sender answers with the delta.
            let signature = job.basis.flatMap { basis in
                (try? fs.openForReading(basis.location)).flatMap { try? receiver.signature(of: $0) }
            }
            job.remote = RemoteFileData(fileIndex: entry.fileIndex, signature: signature, incoming: incoming,
                expectedSize: entry.status.size)
            link.request(fileIndex: entry.fileIndex, signature: signature)
        }
        if let workers = copyWorkers {
            // Whole-file copies write the whole size; report now so output keeps file-list order.
            item.bytesTransferred = entry.status.size
            let writerReports = showsProgressFromWriter
            // `%C` (or a client that prints it, on a push) needs the file written before its line.
            let reportsWhenWritten = !writerReports && (options.reportsFileChecksums || options.itemsAfterWrites)
            if !writerReports && !reportsWhenWritten { observer.report(item) }
            submit(PendingWrite(entry: entry, job: job, isNew: countsAsCreated,
                item: writerReports || reportsWhenWritten ? item : nil), to: workers)
            for outcome in workers.takeFinished() { finishWrite(outcome, item: nil) }
            finishDirectoriesWhoseWritesAreDone()
            return
        }
        if options.progress { observer.report(item) }
        observer.transferStarted(name: displayName(entry), size: entry.status.size)
        let result = Result { () throws(WriteFailure) -> Receiver<FS>.WriteResult in
            try receiver.write(job, progress: { [observer] bytes in observer.transferProgress(bytes: bytes) })
        }
        finishWrite(WriteOutcome(entry: entry, isNew: countsAsCreated, result: result), item: item)
    }

    /// `%C`: the whole-file sum of the file as written (the run's `--checksum-choice`), in hex as rsync
    /// prints it; nil when it cannot be read back.
    func fileChecksum(of entry: FileEntry) -> String? {
        let location = destinationLocation(destinationPath(entry.name), name: entry.name)
        return (try? fs.openForReading(location).digest(options.transferChecksum))?.rsyncHex
    }

    /// Counts and reports one finished write; `item` is reported here when it was not reported before.
    func finishWrite(_ outcome: WriteOutcome, item: ItemizedChange?) {
        let entry = outcome.entry
        if let number = outcome.number {
            countWriteDone(number)
            releaseTracker?.writeFinished()
        }
        switch outcome.result {
        case .success(let written):
            stats.literalData += written.bytes
            stats.matchedData += written.matched
            stats.matchedBlocks += written.matchedBlocks
            stats.hashHits += written.search.hashHits
            stats.falseAlarms += written.search.falseAlarms
            if item != nil { observer.transferFinished(bytes: written.bytes) }
            if var item, !options.progress {
                item.bytesTransferred = written.bytes
                if options.reportsFileChecksums { item.fileChecksum = fileChecksum(of: entry) }
                observer.report(item)
            } else if item == nil, var held = outcome.heldItem {
                if options.reportsFileChecksums { held.fileChecksum = fileChecksum(of: entry) }
                observer.report(held)
            }
            warn(written.warnings)
            for line in written.infos { observer.info(line) }
            if let delayed = written.delayed {
                delayedUpdates.append((entry, delayed))
                // Reported as received once installed, at the end.
                if options.removeSourceFiles { releaseTracker?.hold(entry.fileIndex) }
                directoriesWithDelayedUpdates.insert(PathBytes.parent(entry.name))
            } else {
                received(entry)
            }
            // rsync prints its redo warning with -v only (FWARNING under INFO_GTE(NAME, 1)).
            if options.verbose > 0 && !options.quiet { for notice in written.notices { observer.error(.bare(notice)) } }
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
            writeFailed(error, entry: entry, isNew: outcome.isNew, job: outcome.job)
        }
    }

    /// Takes back the counts of a write that failed and reports the failure as rsync's sender or receiver does.
    func writeFailed(_ error: WriteFailure, entry: FileEntry, isNew: Bool, job: Receiver<FS>.WriteJob? = nil) {
        if case .interrupted = error {
            wasInterrupted = true
            return
        }
        if isNew { stats.created.regular -= 1 }
        stats.regularFilesTransferred -= 1
        stats.transferredFileSize &-= entry.status.size
        switch error {
        case .interrupted, .skipped, .temporaryNameTaken:
            return
        case .sourceReadFailed(let failure):
            // rsync's sender: "read errors mapping", an I/O error (exit 23, no deletions).
            senderIOError = true
            observer.error("[sender] read errors mapping \"\(OutputEscaper.escape(fs.absolute(failure.path), highBytes: options.highBytes))\": \(failure.errnoText) (\(failure.errno))", role: nil)
        case .destination(let failure) where failure.isOutOfSpace:
            // rsync ends the run at the first full-disk write (exit 11); the files in place stay whole.
            diskFull.set()
            if fatalError == nil {
                fatalError = SyncError(.fileIO,
                    "[receiver] write failed on \"\(OutputEscaper.escape(fs.absolute(destinationPath(entry.name)), highBytes: options.highBytes))\": \(failure.errnoText) (\(failure.errno))",
                    role: .receiver)
            }
        case .backupRefused(let destination, let cause):
            backupWasRefused(destination: destination, cause: cause)
        case .partialDirectoryUnusable(let name):
            fail(.bare("Unable to create partial-dir for \(OutputEscaper.escape(name, highBytes: options.highBytes)) -- discarding completed file."))
        case .destination(var failure):
            // rsync names the temp file it could not make by its full path.
            if failure.call == "mkstemp" { failure.path = fs.absolute(failure.path) }
            fail("[receiver] \(failure.description)")
        case .sourceUnopenable(let failure):
            let source = OutputEscaper.escape(fs.absolute(entry.sourcePath), highBytes: options.highBytes)
            if failure.errno == SystemErrno.noSuchEntry {
                observer.error(.bare("file has vanished: \"\(source)\"", role: .sender))
                hadVanished = true
                return
            }
            fail("[sender] send_files failed to open \"\(source)\": \(failure.errnoText) (\(failure.errno))")
        case .peer(let failure):
            // The sender reported its side itself.
            switch failure {
            case .sourceVanished: hadVanished = true
            case .sourceFailed: hadErrors = true
            case .failedVerification where !redoneFiles.contains(entry.fileIndex):
                // Asked for again, whole, after this pass (rsync's redo).
                if let job {
                    remoteRedos.append((entry, job, isNew))
                    releaseTracker?.hold(entry.fileIndex)
                }
            case .failedVerification:
                fail(.bare("ERROR: \(OutputEscaper.escape(entry.name)) failed verification -- update discarded."))
            case .protocolViolation(let text):
                fail("[receiver] \(OutputEscaper.escape(entry.name)): \(text)")
            }
        }
    }

    /// `--only-write-batch`: the file's data is asked for against the destination's basis, so that the
    /// batch records it, and dropped here; nothing is written.
    func requestForBatchOnly(_ entry: FileEntry, path: [UInt8], existing: FileStatus?) {
        guard let link, let incoming = peerData else { return }
        let signature = deltaBasis(entry, path: path, existing: existing).flatMap { basis in
            (try? fs.openForReading(basis.location)).flatMap { try? receiver.signature(of: $0) }
        }
        link.request(fileIndex: entry.fileIndex, signature: signature)
        RemoteStream(RemoteFileData(fileIndex: entry.fileIndex, signature: signature, incoming: incoming,
            expectedSize: entry.status.size)).skipRest()
    }

    /// Waits for the copy workers; called before a directory's time is set and before hard links.
    func drainWrites() {
        guard let workers = copyWorkers else { return }
        for outcome in workers.drain() { finishWrite(outcome, item: nil) }
        finishDirectoriesWhoseWritesAreDone()
    }
}

/// The generator's observer handed to the writer thread of a remote run (see `startCopyWorkers`).
private struct UncheckedObserver: @unchecked Sendable {
    let observer: TransferObserver
    init(_ observer: TransferObserver) { self.observer = observer }
}
