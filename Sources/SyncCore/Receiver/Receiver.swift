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
    /// `--bwlimit`: shared by every copy of this value, so all writer threads draw on one bucket.
    let limiter: BandwidthLimiter?

    public init(fs: FS, options: SyncOptions, isInterrupted: @escaping @Sendable () -> Bool) {
        self.fs = fs
        self.options = options
        self.isInterrupted = isInterrupted
        limiter = options.bandwidthLimit.flatMap(TokenBucket.rsyncRate).map { BandwidthLimiter(bytesPerSecond: $0) }
    }

    /// A whole-file copy into a new file: through the kernel, or in paced pieces under `--bwlimit`.
    private func copyWhole(from source: [UInt8], toNew path: [UInt8], progress: (Int64) -> Bool)
        throws(SystemCallError) -> Int64
    {
        guard let limiter else {
            return try fs.copyFile(from: source, toNew: path, permissions: 0o600, progress: progress)
        }
        let output = try fs.createFile(path, permissions: 0o600)
        return try throttledCopy(from: source, into: output, limiter: limiter, progress: progress)
    }

    /// A whole-file copy over the destination itself (`--inplace`).
    private func copyWholeInPlace(from source: [UInt8], to destination: [UInt8], progress: (Int64) -> Bool)
        throws(SystemCallError) -> Int64
    {
        guard let limiter else {
            return try fs.copyFileInPlace(from: source, to: destination, progress: progress)
        }
        return try throttledCopy(from: source, into: try fs.openForUpdate(destination), limiter: limiter,
            progress: progress)
    }

    /// One regular file to write.
    public struct WriteJob: Sendable {
        public var source: [UInt8]
        public var destination: [UInt8]
        public var name: [UInt8]
        public var permissions: UInt32
        public var uid: UInt32?
        public var gid: UInt32?
        public var mtime: FileTime?
        public var existing: FileStatus?
        /// The delta basis (`--no-whole-file`): the old file, a partial file, or a reference-dir copy.
        /// nil: the file is copied whole.
        public var basis: [UInt8]?
        /// `--append`: the destination's current length; only the source's bytes after it are written.
        public var appendOffset: Int64?
        /// A remote run: the data comes from the peer, not from `source`.
        public var remote: RemoteFileData? = nil
    }

    /// What a write did: bytes written, and non-fatal attribute errors to report.
    public struct WriteResult: Sendable {
        /// Bytes sent as file data (all of them for a whole-file copy; the literals of a delta).
        public var bytes: Int64
        public var warnings: [String]
        /// rsync's FWARNING lines: shown with `-v`, and not an error (a redone file that then arrived
        /// whole leaves the run's status alone).
        public var notices: [String] = []
        /// Bytes a delta took from the basis instead, and in how many blocks.
        public var matched: Int64 = 0
        public var matchedBlocks: Int64 = 0
        /// `--append-verify` found the result wrong and sent the file again (rsync's redo pass): the
        /// notice to print, and the second pass's counts.
        public var redo: (notice: String, counts: DeltaCounts, before: FileStatus?)?
    }

    /// Copies `job.source` to `job.destination` through a temp file (or in place with `--inplace`),
    /// then sets the final permissions, owner and time.
    public func write(_ job: WriteJob, progress: @escaping (Int64) -> Void) throws(WriteFailure) -> WriteResult {
        var warnings: [String] = []
        var notices: [String] = []
        let keepGoing: (Int64) -> Bool = { bytes in
            progress(bytes)
            return !isInterrupted()
        }
        if let remote = job.remote { return try writeRemote(job, remote, progress: keepGoing) }
        let owner = (uid: job.uid, gid: job.gid)
        if options.inplace, let existing = job.existing, existing.kind == .regular {
            if options.backup { try backupByCopy(job.destination, name: job.name) }
            var result = WriteResult(bytes: 0, warnings: [])
            do {
                if let offset = job.appendOffset {
                    let appended = try appendTail(job, from: offset, progress: keepGoing)
                    result.bytes = appended.literal
                    if appended.failedVerification {
                        // rsync's redo: the file again, in place, against what is there now.
                        var counts = DeltaCounts()
                        if let redone = try rebuildInPlace(job, progress: keepGoing) {
                            counts = redone
                        } else {
                            counts.literal = try copyWholeInPlace(from: job.source, to: job.destination,
                                progress: keepGoing)
                        }
                        let notice = "WARNING: \(OutputEscaper.escape(job.name)) failed verification -- update retained (will try again)."
                        result.redo = (notice, counts, job.existing)
                    }
                } else if job.basis == job.destination, let counts = try rebuildInPlace(job, progress: keepGoing) {
                    result.bytes = counts.literal
                    result.matched = counts.matched
                    result.matchedBlocks = counts.matchedBlocks
                } else {
                    result.bytes = try copyWholeInPlace(from: job.source, to: job.destination, progress: keepGoing)
                }
            } catch {
                if error.errno == 4 && isInterrupted() { throw .interrupted }
                throw .failed(error, call: error.call)
            }
            result.warnings += finishAttributes(job.destination, permissions: job.permissions, owner: owner, mtime: job.mtime)
            return result
        }
        let directory = PathBytes.parent(job.destination)
        var counts: DeltaCounts?
        let temporary = try createTemporary(source: job.source, name: job.name, directory: directory,
            progress: keepGoing)
        { (path) throws(SystemCallError) -> Int64 in
            if let basis = job.basis, let rebuilt = try rebuildIntoNewFile(path, job: job, basis: basis, progress: keepGoing) {
                counts = rebuilt
                return rebuilt.literal + rebuilt.matched
            }
            if job.basis != nil {
                notices.append("WARNING: \(OutputEscaper.escape(job.name)) failed verification -- update discarded (will try again).")
                try? fs.removeFile(path)
            }
            return try copyWhole(from: job.source, toNew: path, progress: keepGoing)
        }
        warnings += try install(temporary.path, job: job)
        if let counts {
            return WriteResult(bytes: counts.literal, warnings: warnings, notices: notices, matched: counts.matched,
                matchedBlocks: counts.matchedBlocks)
        }
        return WriteResult(bytes: temporary.bytes, warnings: warnings, notices: notices)
    }

    /// Puts a finished temp file in place: attributes, the backup (`-b`), then the rename over the
    /// destination (through a second temp file next to it when `--temp-dir` is on another file system).
    /// Returns the attribute warnings.
    func install(_ temporary: [UInt8], job: WriteJob) throws(WriteFailure) -> [String] {
        let owner = (uid: job.uid, gid: job.gid)
        var warnings = finishAttributes(temporary, permissions: job.permissions, owner: owner, mtime: job.mtime)
        let directory = PathBytes.parent(job.destination)
        if job.existing != nil && options.backup {
            do {
                try makeBackup(job.destination, name: job.name)
            } catch {
                try? fs.removeFile(temporary)
                throw error
            }
        }
        do {
            try fs.rename(temporary, to: job.destination)
        } catch {
            guard error.errno == 18 else {  // EXDEV: --temp-dir on another file system; copy next to the target.
                try? fs.removeFile(temporary)
                throw .failed(error, call: "rename")
            }
            defer { try? fs.removeFile(temporary) }
            let local = try createTemporary(source: temporary, name: job.name, directory: directory,
                inTempDir: false, progress: { _ in true })
            warnings += finishAttributes(local.path, permissions: job.permissions, owner: owner, mtime: job.mtime)
            do { try fs.rename(local.path, to: job.destination) } catch {
                try? fs.removeFile(local.path)
                throw .failed(error, call: "rename")
            }
        }
        removeUsedPartial(directory: directory, name: job.name)
        return warnings
    }

    /// `--append`/`--append-verify`: writes the source's bytes after `offset` at the end of the
    /// destination. With verify, the whole result is checked against the source afterwards.
    private func appendTail(_ job: WriteJob, from offset: Int64, progress: (Int64) -> Bool)
        throws(SystemCallError) -> (literal: Int64, failedVerification: Bool)
    {
        let output = try fs.openForUpdate(job.destination)
        let appended = try throttledCopy(from: job.source, into: output, startingAt: offset, limiter: limiter,
            progress: progress)
        let position = offset + appended
        var failed = false
        if options.append > 1 {
            failed = try fs.checksum(job.destination) != fs.checksum(job.source)
        }
        return (position - offset, failed)
    }

    /// A delta write into a new temp file; nil when it failed verification (the temp file is left for
    /// the caller to replace).
    private func rebuildIntoNewFile(_ path: [UInt8], job: WriteJob, basis: [UInt8], progress: (Int64) -> Bool)
        throws(SystemCallError) -> DeltaCounts?
    {
        let basisFile = try fs.openForReading(basis)
        let output = try fs.createFile(path, permissions: 0o600)
        return try rebuild(source: job.source, basis: basisFile, output: output, inPlace: false, progress: progress)
    }

    /// `--inplace` with a delta: the destination is its own basis. Blocks before the write offset are
    /// never copied (they may be overwritten already); nil when verification failed.
    private func rebuildInPlace(_ job: WriteJob, progress: (Int64) -> Bool) throws(SystemCallError) -> DeltaCounts? {
        let file = try fs.openForUpdate(job.destination)
        return try rebuild(source: job.source, basis: file, output: file, inPlace: true, progress: progress)
    }

    /// Replaces `path` with a hard link to `existing`, atomically: the link is made under a temp name
    /// and renamed over the old file (`--link-dest` over an existing destination file).
    public func replaceWithHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
        var random = SplitMix64(seed: UInt64(bitPattern: Int64(path.hashValue)))
        let temporary = PathBytes.join(PathBytes.parent(path),
            temporaryName(for: PathBytes.lastComponent(path), random: &random))
        try fs.makeHardLink(temporary, to: existing)
        do { try fs.rename(temporary, to: path) } catch {
            try? fs.removeFile(temporary)
            throw error
        }
    }

    /// After a successful transfer the `--partial-dir` copy is spent: remove it, and the dir once empty.
    private func removeUsedPartial(directory: [UInt8], name: [UInt8]) {
        guard let partialDir = options.partialDir else { return }
        let partialDirectory = partialDir.first == PathBytes.slash ? partialDir : PathBytes.join(directory, partialDir)
        let partialFile = PathBytes.join(partialDirectory, PathBytes.lastComponent(name))
        if (try? fs.lstat(partialFile)) != nil {
            try? fs.removeFile(partialFile)
            try? fs.removeDirectory(partialDirectory)
        }
    }

    /// Writes the temp file. On interruption the partial data is kept with `--partial` (renamed over the
    /// destination, or into `--partial-dir`) and removed otherwise.
    func createTemporary(
        source: [UInt8], name: [UInt8], directory: [UInt8], inTempDir: Bool = true, progress: (Int64) -> Bool,
        fill: ((_ path: [UInt8]) throws(SystemCallError) -> Int64)? = nil
    ) throws(WriteFailure) -> (path: [UInt8], bytes: Int64) {
        let base = PathBytes.lastComponent(name)
        let tempDirectory = inTempDir ? options.tempDir ?? directory : directory
        var random = SplitMix64(seed: UInt64(bitPattern: Int64(name.hashValue)))
        for _ in 0..<100 {
            let path = PathBytes.join(tempDirectory, temporaryName(for: base, random: &random))
            do throws(SystemCallError) {
                let bytes: Int64
                if let fill {
                    bytes = try fill(path)
                } else {
                    bytes = try copyWhole(from: source, toNew: path, progress: progress)
                }
                return (path, bytes)
            } catch {
                if error.errno == 17 && error.path == path { continue }  // EEXIST: pick another name
                if error.errno == 4 && isInterrupted() {
                    keepPartial(path, directory: directory, base: base)
                    throw .interrupted
                }
                // Any other failure (an unreadable source, a full disk, a basis read error) leaves no
                // temp file behind.
                try? fs.removeFile(path)
                if error.path == source {
                    throw .failed(error, call: "send_files failed to open")
                }
                throw .failed(error, call: error.call == "open" ? "mkstemp" : error.call)
            }
        }
        throw .failed(SystemCallError(call: "mkstemp", path: directory, errno: 17, errnoText: "File exists"),
            call: "mkstemp")
    }

    private func keepPartial(_ path: [UInt8], directory: [UInt8], base: [UInt8]) {
        // As rsync (`cleanup_got_literal`): a partial file is kept only when data arrived.
        guard options.partial || options.partialDir != nil, ((try? fs.lstat(path))?.size ?? 0) > 0 else {
            try? fs.removeFile(path)
            return
        }
        var target = PathBytes.join(directory, base)
        if let partialDir = options.partialDir {
            let partialDirectory = partialDir.first == PathBytes.slash ? partialDir : PathBytes.join(directory, partialDir)
            try? fs.makeDirectory(partialDirectory, permissions: 0o700)
            target = PathBytes.join(partialDirectory, base)
        }
        if (try? fs.rename(path, to: target)) == nil { try? fs.removeFile(path) }
    }

    /// rsync's temp name: `.NAME.XXXXXX`, with NAME shortened so the whole fits in 255 bytes.
    private func temporaryName(for base: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var name: [UInt8] = [UInt8(ascii: ".")]
        name.append(contentsOf: base.prefix(255 - 8))
        name.append(UInt8(ascii: "."))
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var value = random.next()
        for _ in 0..<6 {
            name.append(alphabet[Int(value % UInt64(alphabet.count))])
            value /= UInt64(alphabet.count)
        }
        return name
    }

    /// Sets owner, permissions and modification time; returns the failures as rsync-style messages.
    public func finishAttributes(
        _ path: [UInt8], permissions: UInt32?, owner: (uid: UInt32?, gid: UInt32?), mtime: FileTime?,
        isSymlink: Bool = false
    ) -> [String] {
        var warnings: [String] = []
        if owner.uid != nil || owner.gid != nil {
            do { try fs.setOwner(path, uid: owner.uid, gid: owner.gid) } catch {
                warnings.append("[receiver] \(error.describing(call: "chown"))")
            }
        }
        if let permissions, !isSymlink {
            do { try fs.setPermissions(path, permissions) } catch {
                warnings.append("[receiver] \(error.describing(call: "chmod"))")
            }
        }
        if let mtime {
            do { try fs.setModificationTime(path, mtime) } catch {
                if !isSymlink { warnings.append("[receiver] \(error.describing(call: "utimensat"))") }
            }
        }
        return warnings
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

    /// Moves the current destination file to its backup name (rsync `make_backup`).
    public func makeBackup(_ destination: [UInt8], name: [UInt8]) throws(WriteFailure) {
        let target = backupPath(for: destination, name: name)
        if options.backupDir != nil { makeBackupParents(of: target, name: name) }
        if let existing = try? fs.lstat(target), existing.kind == .directory {
            removeTree(target)
        }
        do { try fs.rename(destination, to: target) } catch {
            throw .failed(error, call: "rename")
        }
    }

    func backupByCopy(_ destination: [UInt8], name: [UInt8]) throws(WriteFailure) {
        let target = backupPath(for: destination, name: name)
        if options.backupDir != nil { makeParents(of: target) }
        try? fs.removeFile(target)
        do {
            _ = try fs.copyFile(from: destination, toNew: target, permissions: 0o600, progress: { _ in true })
            if let status = try? fs.lstat(destination) {
                try? fs.setPermissions(target, status.permissions)
                try? fs.setModificationTime(target, status.mtime)
            }
        } catch {
            throw .failed(error, call: "backup")
        }
    }

    /// Creates the missing directories above a backup in `--backup-dir`, each with the mode of the
    /// destination directory it stands for (rsync's `make_bak_dir` copies the real directory's attributes).
    private func makeBackupParents(of target: [UInt8], name: [UInt8]) {
        let relativeParent = PathBytes.parent(name)
        guard relativeParent != PathBytes.dot else { return makeParents(of: target) }
        var missing: [([UInt8], [UInt8])] = []
        var backupDirectory = PathBytes.parent(target)
        var relative = relativeParent
        while (try? fs.lstat(backupDirectory)) == nil && relative != PathBytes.dot && !relative.isEmpty {
            missing.append((backupDirectory, relative))
            backupDirectory = PathBytes.parent(backupDirectory)
            relative = PathBytes.parent(relative)
        }
        makeParents(of: target)
        for (directory, relative) in missing {
            if let real = try? fs.lstat(PathBytes.join(destinationRoot, relative)), real.kind == .directory {
                try? fs.setPermissions(directory, real.permissions)
            }
        }
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
    public func removeTree(_ path: [UInt8]) {
        guard let status = try? fs.lstat(path) else { return }
        if status.kind == .directory {
            for child in (try? fs.listDirectory(path)) ?? [] {
                removeTree(PathBytes.join(path, child))
            }
            try? fs.removeDirectory(path)
        } else {
            try? fs.removeFile(path)
        }
    }
}

/// Why a receiver write stopped early. (Top level: a typed error nested in a generic type crashes
/// the Swift 6.3 optimizer.)
public enum WriteFailure: Error, Sendable {
    case interrupted
    case failed(SystemCallError, call: String)
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
