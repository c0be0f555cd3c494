/// The receiver: the only role that writes the destination. Files are written to a temp name in the
/// destination directory (or `--temp-dir`) and renamed into place, so a destination file is always
/// either old or new.
///
/// A `Sendable` value with no output of its own: copy workers run it on other threads, and the
/// generator reports what it returns.
public struct Receiver<FS: FileSystem>: Sendable {
    let fs: FS
    let options: SyncOptions
    let isInterrupted: @Sendable () -> Bool
    /// The destination directory, against which a relative `--backup-dir` and `--partial-dir` resolve.
    var destinationRoot: [UInt8] = []
    /// `--temp-dir`, opened once: every temp file is made and renamed through it.
    var temporaryDirectory: (any DirectoryHandle)?
    /// `--temp-dir` was refused under the operator-path rule: no temp file is made there.
    var temporaryDirectoryRefusal: SystemCallError?
    /// `--bwlimit`: shared by every copy of this value, so all writer threads draw on one bucket.
    let limiter: BandwidthLimiter?
    /// `-X`/`-A`: what is copied besides owner, mode and time (made once: it is asked per entry).
    let securityRules: SecurityAttributeRules

    public init(fs: FS, options: SyncOptions, isInterrupted: @escaping @Sendable () -> Bool) {
        self.fs = fs
        self.options = options
        self.isInterrupted = isInterrupted
        securityRules = SecurityAttributeRules(options: options)
        limiter = options.bandwidthLimit.flatMap(TokenBucket.rsyncRate).map { BandwidthLimiter(bytesPerSecond: $0) }
    }

    /// A whole-file copy into a new file: through the kernel, or in paced pieces under `--bwlimit`.
    private func copyWhole(from source: any OpenFile, length: Int64?, toNew location: FileLocation,
        progress: (Int64) -> Bool) throws(SystemCallError) -> Int64
    {
        guard let limiter else {
            return try fs.copyFile(from: source, toNew: location, permissions: 0o600, length: length, progress: progress)
        }
        let output = try fs.createFile(location, permissions: 0o600)
        return try throttledCopy(from: source, length: length, into: output, limiter: limiter, progress: progress)
    }

    /// A whole-file copy over the destination itself (`--inplace`).
    private func copyWholeInPlace(from source: any OpenFile, length: Int64?, to destination: FileLocation,
        progress: (Int64) -> Bool) throws(SystemCallError) -> Int64
    {
        guard let limiter else {
            return try fs.copyFileInPlace(from: source, to: destination, length: length, progress: progress)
        }
        return try throttledCopy(from: source, length: length, into: try fs.openForUpdate(destination),
            limiter: limiter, progress: progress)
    }

    /// Opens the local source of `job`: through the directory it was listed in (never through a
    /// symlink put there since, unless `-L` follows links), or by its path (a source named by the user).
    func openLocalSource(_ job: WriteJob) throws(SystemCallError) -> any OpenFile {
        do {
            if let location = job.sourceLocation {
                return try fs.openSource(location, followingSymlink: options.copyLinks || options.copyUnsafeLinks)
            }
            return try fs.openForReading(job.source)
        } catch {
            throw error.at(.openSource)
        }
    }

    /// The source of `job` opened, and how much of it is sent: as rsync, its length when it is opened (a
    /// file that grew since it was listed goes whole, one that shrank goes as it is now); a file that
    /// shrinks while it is read still fails (`ListedLengthSource`).
    func openLocalSourceToSend(_ job: WriteJob) throws(SystemCallError) -> (file: any OpenFile, length: Int64?) {
        let file = try openLocalSource(job)
        guard job.sourceSize != nil else { return (file, nil) }
        do { return (file, try file.size()) } catch { throw error.at(.readSource) }
    }

    /// One regular file to write.
    public struct WriteJob: Sendable {
        /// The source's path, for messages.
        public var source: [UInt8]
        /// A local run: the source's name in the open directory it was listed in, read through it.
        public var sourceLocation: FileLocation? = nil
        /// The source's size in the file list: exactly this much is sent (nil: to its end).
        public var sourceSize: Int64?
        /// The destination's path, for messages, backups and `--partial-dir`.
        public var destination: [UInt8]
        /// The destination as every write reaches it: its name in the open parent directory.
        public var location: FileLocation
        public var name: [UInt8]
        public var permissions: UInt32
        public var uid: UInt32?
        public var gid: UInt32?
        public var mtime: FileTime?
        /// `-U`: the access time to set, whole seconds (nil: left as the write leaves it).
        public var atime: Int64? = nil
        public var existing: FileStatus?
        /// The delta basis (`--no-whole-file`): the old file, a partial file, or a reference-dir copy.
        /// nil: the file is copied whole.
        public var basis: DeltaBasis?
        /// `--append`: the destination's current length; only the source's bytes after it are written.
        public var appendOffset: Int64?
        /// A remote run: the data comes from the peer, not from `source`.
        public var remote: RemoteFileData? = nil
        /// `-X`/`-A`: what the file gets besides its data (nil without either option).
        public var security: SecurityChange? = nil
    }

    /// What a write did: bytes written, and non-fatal attribute errors to report.
    public struct WriteResult: Sendable {
        /// Bytes sent as file data (all of them for a whole-file copy; the literals of a delta).
        public var bytes: Int64
        public var warnings: [String]
        /// rsync's FWARNING lines: shown with `-v`, and not an error (a redone file that then arrived
        /// whole leaves the run's status alone).
        public var notices: [String] = []
        /// Lines for stdout after the item's own (`--info=backup`'s "backed up").
        public var infos: [String] = []
        /// Bytes a delta took from the basis instead, and in how many blocks.
        public var matched: Int64 = 0
        public var matchedBlocks: Int64 = 0
        /// The delta search's `hash_hits` and `false_alarms`.
        public var search = DeltaSearchCounts()
        /// `--append-verify` found the result wrong and sent the file again (rsync's redo pass): the
        /// notice to print, and the second pass's counts.
        public var redo: (notice: String, counts: DeltaCounts, before: FileStatus?)?
        /// `--delay-updates`: the finished file waits in the partial directory, to be renamed over the
        /// destination at the end of the run (`DelayedUpdate`).
        public var delayed: DelayedUpdate?

        public init(bytes: Int64, warnings: [String], notices: [String] = [], matched: Int64 = 0,
            matchedBlocks: Int64 = 0)
        {
            self.bytes = bytes
            self.warnings = warnings
            self.notices = notices
            self.matched = matched
            self.matchedBlocks = matchedBlocks
        }

        /// A delta's result: its literal and matched data.
        init(_ counts: DeltaCounts) {
            self.init(bytes: counts.literal, warnings: [], matched: counts.matched, matchedBlocks: counts.matchedBlocks)
            search = counts.search
        }
    }

    /// Writes `job.destination` through a temp file renamed into place (or over the file itself with
    /// `--inplace`/`--append`), then sets the final permissions, owner and time. One path for every run:
    /// the data comes from the local source (a kernel copy, or a delta against the basis) or from the
    /// peer (`job.remote`), and that is the only difference.
    public func write(_ job: WriteJob, progress: @escaping (Int64) -> Void) throws(WriteFailure) -> WriteResult {
        let keepGoing: (Int64) -> Bool = { bytes in
            progress(bytes)
            return !isInterrupted()
        }
        let data: FileData
        if let remote = job.remote {
            // After an interrupt or a broken link the queued files are left alone: no temp file, no partial.
            if isInterrupted() || remote.incoming.failure != nil { throw .interrupted }
            data = .peer(RemoteStream(remote))
        } else {
            data = .local
        }
        // Whatever happens here, a remote file's data must be taken off the stream, or the next file
        // would read it.
        defer { if case .peer(let stream) = data, !isInterrupted() { stream.skipRest() } }
        if options.inplace || job.appendOffset != nil, let existing = job.existing, existing.kind == .regular {
            let backupLine = options.backup ? try backupByCopy(job.location, path: job.destination, name: job.name) : nil
            var result = try fillInPlace(job, from: data, progress: keepGoing)
            result.infos += backupLine.map { [$0] } ?? []
            result.warnings += finishAttributes(job.location, permissions: job.permissions,
                owner: (job.uid, job.gid), mtime: job.mtime, atime: job.atime, security: job.security)
            return result
        }
        var result = WriteResult(bytes: 0, warnings: [])
        let temporary = try createTemporary(source: job.source, job: job, progress: keepGoing)
        { (location) throws(WriteFailure) -> Int64 in
            result = try fillNewFile(location, job: job, from: data, progress: keepGoing)
            return result.bytes + result.matched
        }
        if options.delayUpdates {
            let waiting = try installDelayed(temporary.location, job: job)
            result.warnings += waiting.warnings
            result.delayed = waiting.update
            return result
        }
        let installed = try install(temporary.location, job: job)
        result.warnings += installed.warnings
        result.infos += installed.backupLine.map { [$0] } ?? []
        return result
    }

    /// Where a file's new data comes from.
    enum FileData {
        /// The source file on this machine.
        case local
        /// The peer's delta stream for this file.
        case peer(RemoteStream)
    }

    /// Fills the new temp file at `path`; the result's `bytes` are the literal data.
    private func fillNewFile(_ path: FileLocation, job: WriteJob, from data: FileData, progress: (Int64) -> Bool)
        throws(WriteFailure) -> WriteResult
    {
        if case .peer(let stream) = data { return try receiveIntoNewFile(path, job: job, stream: stream, progress: progress) }
        var notices: [String] = []
        do throws(SystemCallError) {
            if let basis = job.basis, let rebuilt = try rebuildIntoNewFile(path, job: job, basis: basis.location,
                progress: progress)
            {
                return WriteResult(rebuilt)
            }
            if job.basis != nil {
                notices.append("WARNING: \(OutputEscaper.escape(job.name)) failed verification -- update discarded (will try again).")
                try? fs.removeFile(path)
            }
            let source = try openLocalSourceToSend(job)
            let copied = try copyWhole(from: source.file, length: source.length, toNew: path,
                progress: progress)
            return WriteResult(bytes: copied, warnings: [], notices: notices)
        } catch {
            throw failure(error, source: job.source, temporary: path)
        }
    }

    /// Writes over the destination itself (`--inplace`, `--append`).
    private func fillInPlace(_ job: WriteJob, from data: FileData, progress: (Int64) -> Bool)
        throws(WriteFailure) -> WriteResult
    {
        if case .peer(let stream) = data { return try receiveInPlace(job, stream: stream, progress: progress) }
        do throws(SystemCallError) {
            guard let offset = job.appendOffset else {
                if job.basis?.isDestination == true, let counts = try rebuildInPlace(job, progress: progress) {
                    return WriteResult(counts)
                }
                let source = try openLocalSourceToSend(job)
                let copied = try copyWholeInPlace(from: source.file, length: source.length, to: job.location,
                    progress: progress)
                return WriteResult(bytes: copied, warnings: [])
            }
            let appended = try appendTail(job, from: offset, progress: progress)
            var result = WriteResult(bytes: appended.literal, warnings: [])
            if appended.failedVerification {
                // rsync's redo: the file again, in place, against what is there now.
                var counts = DeltaCounts()
                if let redone = try rebuildInPlace(job, progress: progress) {
                    counts = redone
                } else {
                    let source = try openLocalSourceToSend(job)
                    counts.literal = try copyWholeInPlace(from: source.file, length: source.length,
                        to: job.location, progress: progress)
                }
                let notice = "WARNING: \(OutputEscaper.escape(job.name)) failed verification -- update retained (will try again)."
                result.redo = (notice, counts, job.existing)
            }
            return result
        } catch {
            throw failure(error, source: job.source, temporary: nil)
        }
    }

    /// Puts a finished temp file in place: attributes, the backup (`-b`), then the rename over the
    /// destination (through a second temp file next to it when `--temp-dir` is on another file system).
    /// Returns the attribute warnings and `--info=backup`'s line.
    func install(_ temporary: FileLocation, job: WriteJob) throws(WriteFailure)
        -> (warnings: [String], backupLine: String?)
    {
        let owner = (uid: job.uid, gid: job.gid)
        var warnings = finishAttributes(temporary, permissions: job.permissions, owner: owner, mtime: job.mtime, atime: job.atime,
            security: job.security)
        let directory = PathBytes.parent(job.destination)
        var backupLine: String?
        if job.existing != nil && options.backup {
            do {
                backupLine = try makeBackup(job.location, path: job.destination, name: job.name)
            } catch {
                try? fs.removeFile(temporary)
                throw error
            }
        }
        do {
            try fs.rename(temporary, to: job.location)
        } catch {
            guard error.errno == SystemErrno.crossDevice else {  // --temp-dir on another file system: copy next to the target
                try? fs.removeFile(temporary)
                throw .destination(error)
            }
            defer { try? fs.removeFile(temporary) }
            let local = try createTemporary(source: temporary.path, job: job, inTempDir: false, progress: { _ in true })
            warnings += finishAttributes(local.location, permissions: job.permissions, owner: owner, mtime: job.mtime, atime: job.atime,
                security: job.security)
            do { try fs.rename(local.location, to: job.location) } catch {
                try? fs.removeFile(local.location)
                throw .destination(error)
            }
        }
        removeUsedPartial(directory: directory, name: job.name)
        return (warnings, backupLine)
    }

    /// `--append`/`--append-verify`: writes the source's bytes after `offset` at the end of the
    /// destination. With verify, the whole result is checked against the source afterwards.
    private func appendTail(_ job: WriteJob, from offset: Int64, progress: (Int64) -> Bool)
        throws(SystemCallError) -> (literal: Int64, failedVerification: Bool)
    {
        let output = try fs.openForUpdate(job.location)
        let source = try openLocalSourceToSend(job)
        let appended = try throttledCopy(from: source.file, length: source.length, into: output,
            startingAt: offset,
            limiter: limiter, progress: progress)
        let position = offset + appended
        var failed = false
        if options.append > 1 {
            failed = try fs.openForReading(job.location).checksum() != openLocalSource(job).checksum()
        }
        return (position - offset, failed)
    }

    /// A delta write into a new temp file; nil when it failed verification (the temp file is left for
    /// the caller to replace).
    private func rebuildIntoNewFile(_ path: FileLocation, job: WriteJob, basis: FileLocation, progress: (Int64) -> Bool)
        throws(SystemCallError) -> DeltaCounts?
    {
        let basisFile = try fs.openForReading(basis)
        let output = try fs.createFile(path, permissions: 0o600)
        let source = try openLocalSourceToSend(job)
        return try rebuild(source: source.file, length: source.length, basis: basisFile, output: output,
            inPlace: false, progress: progress)
    }

    /// `--inplace` with a delta: the destination is its own basis. Blocks before the write offset are
    /// never copied (they may be overwritten already); nil when verification failed.
    private func rebuildInPlace(_ job: WriteJob, progress: (Int64) -> Bool) throws(SystemCallError) -> DeltaCounts? {
        let file = try fs.openForUpdate(job.location)
        let source = try openLocalSourceToSend(job)
        return try rebuild(source: source.file, length: source.length, basis: file, output: file,
            inPlace: true,
            progress: progress)
    }

    /// Replaces `path` with a hard link to `existing`, atomically: the link is made under a temp name
    /// and renamed over the old file (`--link-dest` over an existing destination file).
    public func replaceWithHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
        var random = SplitMix64(seed: UInt64(bitPattern: Int64(path.hashValue)))
        let temporary = PathBytes.join(PathBytes.parent(path),
            TemporaryName.make(for: PathBytes.lastComponent(path), random: &random))
        try fs.makeHardLink(temporary, to: existing)
        do { try fs.rename(temporary, to: path) } catch {
            try? fs.removeFile(temporary)
            throw error
        }
    }

    /// After a successful transfer the `--partial-dir` copy is spent: remove it, and the dir once empty.
    private func removeUsedPartial(directory: [UInt8], name: [UInt8]) {
        guard let partialDirectory = PartialDirectory(options) else { return }
        // The operator-path walk only when there is something to remove (it costs a walk from the root).
        guard (try? fs.lstat(partialDirectory.file(named: name, in: directory))) != nil,
            case .opened(let handle) = partialDirectory.open(in: directory, fs: fs)
        else { return }
        try? fs.removeFile(FileLocation(PathBytes.lastComponent(name), in: handle))
        partialDirectory.removeIfEmpty(in: directory, fs: fs)
    }

    /// Writes the temp file. On interruption the partial data is kept with `--partial` (renamed over the
    /// destination, or into `--partial-dir`) and removed otherwise.
    func createTemporary(
        source: [UInt8], job: WriteJob, inTempDir: Bool = true, progress: (Int64) -> Bool,
        fill: ((_ location: FileLocation) throws(WriteFailure) -> Int64)? = nil
    ) throws(WriteFailure) -> (location: FileLocation, bytes: Int64) {
        let name = job.name
        let base = PathBytes.lastComponent(name)
        let tempDirectory = inTempDir ? temporaryDirectory ?? job.location.directory : job.location.directory
        if inTempDir, var refusal = temporaryDirectoryRefusal {
            refusal.call = "mkstemp"
            refusal.path = PathBytes.join(tempDirectory.path, base + Array(".XXXXXX".utf8))
            throw .destination(refusal)
        }
        var random = SplitMix64(seed: UInt64(bitPattern: Int64(name.hashValue)))
        for _ in 0..<100 {
            let path = FileLocation(TemporaryName.make(for: base, random: &random), in: tempDirectory)
            do throws(WriteFailure) {
                let bytes: Int64
                if let fill {
                    bytes = try fill(path)
                } else {
                    // Without `fill`, `source` is copied whole: a finished temp file (from `--temp-dir`).
                    do throws(SystemCallError) {
                        let input: any OpenFile
                        do { input = try fs.openForReading(source) } catch { throw error.at(.openSource) }
                        bytes = try copyWhole(from: input, length: nil, toNew: path, progress: progress)
                    } catch {
                        throw failure(error, source: source, temporary: path)
                    }
                }
                return (path, bytes)
            } catch {
                switch error {
                case .temporaryNameTaken: continue  // another file has that name: pick another
                case .interrupted:
                    keepPartial(path, job: job)
                    throw .interrupted
                default:
                    // Any other failure (an unreadable source, a full disk, a basis read error) leaves no
                    // temp file behind.
                    try? fs.removeFile(path)
                    throw error
                }
            }
        }
        throw .destination(SystemCallError(call: "mkstemp", path: tempDirectory.path, errno: SystemErrno.exists,
            errnoText: "File exists"))
    }

    /// What a failed system call of a local write amounts to: an interruption, the source (which could
    /// not be opened, or read to its listed end), or the destination; `temporary` is the temp file
    /// being made, whose creation rsync calls `mkstemp`.
    func failure(_ error: SystemCallError, source: [UInt8], temporary: FileLocation?) -> WriteFailure {
        if error.errno == SystemErrno.interrupted && isInterrupted() { return .interrupted }
        switch error.stage {
        case .openSource: return .sourceUnopenable(error)
        case .readSource: return .sourceReadFailed(error)
        case .createTemporary, nil:
            if let temporary, error.path == temporary.path {
                if error.errno == SystemErrno.exists { return .temporaryNameTaken }
                return .destination(error.stage == .createTemporary ? error.describedAs("mkstemp") : error)
            }
            // A file system that does not say which side failed: the source's path tells.
            return error.path == source ? .sourceUnopenable(error) : .destination(error)
        }
    }

    /// Keeps an interrupted temp file as the partial file, with the file's final mode and owner. A
    /// partial file left in the destination itself is dated 1970 (with `-t`), as rsync dates it, so
    /// that no later run takes it for finished: `-u` sees it older than the source, the quick check
    /// sees another time. One in `--partial-dir` keeps the time of the interruption (rsync's too).
    private func keepPartial(_ path: FileLocation, job: WriteJob) {
        // As rsync (`cleanup_got_literal`): a partial file is kept only when data arrived.
        guard options.partial || options.partialDir != nil, ((try? fs.lstat(path.name, in: path.directory))?.size ?? 0) > 0
        else {
            try? fs.removeFile(path)
            return
        }
        var target = job.location
        var mtime = job.mtime.map { _ in Self.unfinishedTime }
        if let partialDirectory = PartialDirectory(options) {
            let directory = PathBytes.parent(job.destination)
            // Not kept behind another user's symlink: the partial data is dropped instead.
            guard case .opened(let handle) = partialDirectory.make(in: directory, fs: fs) else {
                try? fs.removeFile(path)
                return
            }
            target = FileLocation(PathBytes.lastComponent(job.name), in: handle)
            mtime = nil
        }
        _ = finishAttributes(path, permissions: job.permissions, owner: (job.uid, job.gid), mtime: mtime)
        if (try? fs.rename(path, to: target)) == nil { try? fs.removeFile(path) }
    }

    /// The time a kept partial file gets in the destination: the epoch.
    static var unfinishedTime: FileTime { FileTime(seconds: 0, nanoseconds: 0) }

    /// Sets owner, permissions, modification and (`-U`) access time; returns the failures as rsync-style
    /// messages. `role`: who rsync says failed (the generator sets directories' and unchanged files' attributes).
    public func finishAttributes(role: Role = .receiver,
        _ path: FileLocation, permissions: UInt32?, owner: (uid: UInt32?, gid: UInt32?), mtime: FileTime?,
        atime: Int64? = nil,
        isSymlink: Bool = false, security: SecurityChange? = nil
    ) -> [String] {
        var warnings: [String] = []
        // rsync's words for a mode or time it could not set, with the full path (made only then).
        func shown() -> String { OutputEscaper.escape(fullName(path.path)) }
        if owner.uid != nil || owner.gid != nil {
            do { try fs.setOwner(path, uid: owner.uid, gid: owner.gid) } catch {
                warnings.append("[receiver] \(error.describing(call: "chown"))")
            }
        }
        // After the owner (a chown drops file capabilities), before the mode: an ACL write sets the
        // mode's group bits, and the chmod then sets the final ones, the mask with them.
        if let security {
            warnings += applySecurityAttributes(path, kind: security.kind, source: security.attributes,
                mode: security.mode)
        }
        if let permissions, !isSymlink {
            do { try fs.setPermissions(path, permissions) } catch {
                warnings.append("[\(role.rawValue)] failed to set permissions on \"\(shown())\": \(error.errnoText) (\(error.errno))")
            }
        }
        if mtime != nil || atime != nil {
            do throws(SystemCallError) {
                if let atime { try fs.setTimes(path, modification: mtime, accessSeconds: atime) } else if let mtime {
                    try fs.setModificationTime(path, mtime)
                }
            } catch {
                if !isSymlink {
                    warnings.append("[\(role.rawValue)] failed to set times on \"\(shown())\": \(error.errnoText) (\(error.errno))")
                }
            }
        }
        return warnings
    }

    /// A destination path as rsync's messages name it (`full_fname`): absolute, and the destination root
    /// as `DIR/.`.
    func fullName(_ path: [UInt8]) -> [UInt8] {
        let absolute = PathBytes.trimmingTrailingSlashes(fs.absolute(path))
        guard absolute == PathBytes.trimmingTrailingSlashes(fs.absolute(destinationRoot)) else { return fs.absolute(path) }
        return (absolute == [PathBytes.slash] ? [] : absolute) + [PathBytes.slash, PathBytes.dot[0]]
    }

    // MARK: Backups (rsync -b, --backup-dir, --suffix)

    /// The path a backup of `name` goes to.
    public func backupPath(for destination: [UInt8], name: [UInt8]) -> [UInt8] {
        if let backupDir = options.backupDir {
            let root = backupDir.first == PathBytes.slash ? backupDir : PathBytes.join(destinationRoot, backupDir)
            return PathBytes.join(root, name) + options.effectiveSuffix
        }
        return destination + options.effectiveSuffix
    }

    /// `--info=backup`'s line for the backup of `name`, nil when the option is off: the backup named as
    /// rsync names it (relative to the destination, or below `--backup-dir` as given).
    func backupLine(_ name: [UInt8]) -> String? {
        guard options.showsBackups else { return nil }
        let shown = options.backupDir.map { PathBytes.join(PathBytes.trimmingTrailingSlashes($0), name) } ?? name
        let escape = { (bytes: [UInt8]) in OutputEscaper.escape(bytes, highBytes: self.options.highBytes) }
        return "backed up \(escape(name)) to \(escape(shown + options.effectiveSuffix))"
    }

    /// Moves the current destination file at `location` (`path`, for messages and the backup's name)
    /// to its backup name (rsync `make_backup`). Returns `--info=backup`'s line.
    @discardableResult
    public func makeBackup(_ location: FileLocation, path destination: [UInt8], name: [UInt8]) throws(WriteFailure)
        -> String?
    {
        // --safe-links: an unsafe symlink is not kept as a backup either; it is only removed (rsync).
        if options.safeLinks, (try? fs.lstat(location.name, in: location.directory))?.kind == .symlink,
            let linkTarget = try? fs.readLink(location.name, in: location.directory),
            PathBytes.isUnsafeSymlink(target: linkTarget, linkName: name)
        {
            do { try fs.removeFile(location) } catch { throw .destination(error) }
            return nil
        }
        let target = backupPath(for: destination, name: name)
        let backup = try prepareBackup(target, of: location, path: destination, name: name, movesOriginal: true)
        if let existing = try? fs.lstat(backup.name, in: backup.directory), existing.kind == .directory {
            removeTree(backup)
        }
        do { try fs.rename(location, to: backup) } catch {
            // --backup-dir on another file system: rsync copies the entry there, then removes it here.
            guard error.errno == SystemErrno.crossDevice else { throw .destination(error) }
            try copyBackup(location, to: backup)
        }
        return backupLine(name)
    }

    /// The backup of the entry at `location` made as a copy at `backup` (a new name there), with its mode
    /// and time; the original is removed once the copy is whole. A directory is never backed up this way.
    private func copyBackup(_ location: FileLocation, to backup: FileLocation) throws(WriteFailure) {
        do throws(SystemCallError) {
            let status = try fs.lstat(location.name, in: location.directory)
            try? fs.removeFile(backup)
            switch status.kind {
            case .regular:
                let original = try fs.openForReading(location)
                _ = try fs.copyFile(from: original, toNew: backup, permissions: 0o600, length: nil, progress: { _ in true })
            case .symlink:
                try fs.makeSymlink(backup, target: try fs.readLink(location.name, in: location.directory))
            case .directory:
                throw SystemCallError(call: "rename", path: location.path, errno: SystemErrno.crossDevice,
                    errnoText: "Invalid cross-device link")
            default:
                try fs.makeNode(backup, mode: status.mode, rdev: status.rdev)
            }
            if status.kind != .symlink {
                // The owner first: a chown drops set-id bits the mode then puts back.
                if options.owner || options.group {
                    try? fs.setOwner(backup, uid: options.owner ? status.uid : nil, gid: options.group ? status.gid : nil)
                }
                try fs.setPermissions(backup, status.permissions)
                try? fs.setModificationTime(backup, status.mtime)
            }
            try fs.removeFile(location)
        } catch {
            try? fs.removeFile(backup)
            throw .destination(error.describedAs("backup"))
        }
    }

    /// The copy of the destination file made before it is written over in place (`--inplace -b`); returns
    /// `--info=backup`'s line.
    func backupByCopy(_ location: FileLocation, path destination: [UInt8], name: [UInt8]) throws(WriteFailure)
        -> String?
    {
        let target = backupPath(for: destination, name: name)
        let backup = try prepareBackup(target, of: location, path: destination, name: name, movesOriginal: false)
        try? fs.removeFile(backup)
        do {
            let original = try fs.openForReading(location)
            _ = try fs.copyFile(from: original, toNew: backup, permissions: 0o600, length: nil, progress: { _ in true })
            if let status = try? fs.lstat(location.name, in: location.directory) {
                try? fs.setPermissions(backup, status.permissions)
                try? fs.setModificationTime(backup, status.mtime)
            }
        } catch {
            throw .destination(error.describedAs("backup"))
        }
        return backupLine(name)
    }

    /// Where the backup of the destination file at `location` goes. Without `--backup-dir`, next to it
    /// in the same open directory. With one, its root opened under the operator-path rule (a root
    /// planted or swapped for another user's symlink is refused: no backup; rsync ends the run, exit
    /// 11), then each directory below it opened from its parent's handle without following a symlink,
    /// the missing ones made on the way.
    private func prepareBackup(_ target: [UInt8], of location: FileLocation, path destination: [UInt8],
        name: [UInt8], movesOriginal: Bool) throws(WriteFailure) -> FileLocation
    {
        guard let backupDir = options.backupDir else {
            return FileLocation(PathBytes.lastComponent(target), in: location.directory)
        }
        let root = backupDir.first == PathBytes.slash ? backupDir : PathBytes.join(destinationRoot, backupDir)
        /// The failure as rsync names it (`keep_backup` of the target). A refused rule ends the run,
        /// except for a copy made before an in-place write, which fails that file alone (rsync: exit 23).
        func failure(_ error: SystemCallError) -> WriteFailure {
            var named = error
            named.call = "keep_backup"
            named.path = target
            return movesOriginal && error.refusal != nil ? .backupRefused(destination: destination, cause: named)
                : .destination(named)
        }
        var directory: any DirectoryHandle
        do throws(SystemCallError) {
            do { directory = try fs.openOperatorDirectory(root, confined: true) } catch {
                guard error.refusal == nil, error.errno == SystemErrno.noSuchEntry else { throw error }
                makeParents(of: root)
                try? fs.makeDirectory(root, permissions: 0o755)
                directory = try fs.openOperatorDirectory(root, confined: true)
            }
            var relative: [UInt8] = []
            for component in PathBytes.parent(name).split(separator: PathBytes.slash)
            where !component.elementsEqual(PathBytes.dot) {
                relative = PathBytes.join(relative, Array(component))
                directory = try backupDirectory(Array(component), in: directory, standingFor: relative,
                    copiesMode: movesOriginal)
            }
        } catch {
            throw failure(error)
        }
        return FileLocation(PathBytes.lastComponent(target), in: directory)
    }

    /// The backup directory `name` in `parent`, made when missing with the mode of the destination
    /// directory it stands for (rsync's `make_bak_dir` copies the real directory's attributes).
    private func backupDirectory(_ name: [UInt8], in parent: any DirectoryHandle, standingFor relative: [UInt8],
        copiesMode: Bool) throws(SystemCallError) -> any DirectoryHandle
    {
        let location = FileLocation(name, in: parent)
        do { return try fs.openDirectory(location, followingSymlink: false) } catch {
            guard error.errno == SystemErrno.noSuchEntry else { throw error }
        }
        try? fs.makeDirectory(location, permissions: 0o755)
        if copiesMode, let real = try? fs.lstat(PathBytes.join(destinationRoot, relative)), real.kind == .directory {
            try? fs.setPermissions(location, real.permissions)
        }
        return try fs.openDirectory(location, followingSymlink: false)
    }

    /// Creates missing parent directories of `path` (for `--backup-dir`, `--mkpath`).
    public func makeParents(of path: [UInt8]) {
        let parent = PathBytes.parent(path)
        if parent == PathBytes.dot || parent == [PathBytes.slash] { return }
        if (try? fs.lstat(parent)) != nil { return }
        makeParents(of: parent)
        try? fs.makeDirectory(parent, permissions: 0o755)
    }

    /// Removes a file or a whole directory tree; used to clear the way for a new entry.
    public func removeTree(_ path: [UInt8]) { removeTree(FileLocation(path: path)) }

    /// Removes the entry at `location` and, for a directory, everything in it, each directory entered
    /// through its parent's handle (never through a symlink put in its place).
    func removeTree(_ location: FileLocation) {
        guard let status = try? fs.lstat(location.name, in: location.directory) else { return }
        if status.kind == .directory, let directory = try? fs.openDirectory(location, followingSymlink: false) {
            for child in (try? fs.listDirectory(directory)) ?? [] {
                removeTree(FileLocation(child, in: directory))
            }
            try? fs.removeDirectory(location)
        } else {
            try? fs.removeFile(location)
        }
    }
}

/// `-X`/`-A`: the attributes an entry gets along with its owner, mode and time.
public struct SecurityChange: Sendable {
    public var kind: FileKind
    /// The source's, as listed (nil: none, minimal ACLs).
    public var attributes: SecurityAttributes?
    /// The permissions the entry ends with.
    public var mode: UInt32
    public init(kind: FileKind, attributes: SecurityAttributes?, mode: UInt32) {
        self.kind = kind
        self.attributes = attributes
        self.mode = mode
    }
}

/// Why a receiver write stopped early. (Top level: a typed error nested in a generic type crashes
/// the Swift 6.3 optimizer.)
///
/// Each case is a different outcome for the generator: it switches over them, never over message text.
public enum WriteFailure: Error, Sendable {
    /// SIGINT/SIGTERM, or the link to the peer broke: the run stops (the partial file is kept with
    /// `--partial`).
    case interrupted
    /// Not attempted: an earlier write found the disk full and the run is stopping.
    case skipped
    /// The source could not be opened (rsync's "send_files failed to open"; ENOENT: it vanished).
    case sourceUnopenable(SystemCallError)
    /// The source could not be read to its listed end (an I/O error, or a file that shrank): rsync's
    /// "read errors mapping", a sender I/O error. The destination keeps its old version.
    case sourceReadFailed(SystemCallError)
    /// A system call on the destination failed; the error names the call as rsync does (mkstemp,
    /// write, rename, ...). ENOSPC and EDQUOT stop the run.
    case destination(SystemCallError)
    /// A remote run: the sender's side failed, or what it sent did not hold.
    case peer(PeerFailure)
    /// The temp name picked is taken (the receiver picks another; never reaches the generator).
    case temporaryNameTaken
    /// The `--backup-dir` is reached through another user's symlink (the operator-path rule): the
    /// backup of `destination` is not made, and the run ends as rsync's does (exit 11).
    case backupRefused(destination: [UInt8], cause: SystemCallError)
    /// `--delay-updates`: the partial directory could not be made or opened, so the finished file is
    /// dropped (rsync's "Unable to create partial-dir for NAME -- discarding completed file").
    case partialDirectoryUnusable(name: [UInt8])
}

/// How the sending side of a remote run failed a file.
public enum PeerFailure: Sendable, Equatable {
    /// The source vanished before the sender opened it (exit 24).
    case sourceVanished
    /// The sender could not read it and said so itself (exit 23).
    case sourceFailed
    /// The rebuilt file failed its whole-file check: asked for again, whole (rsync's redo pass).
    case failedVerification
    /// What the peer sent broke the protocol; the text says how.
    case protocolViolation(String)
}

/// A small fast PRNG for temp names (SplitMix64); no global state. Tests use it for reproducible data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
