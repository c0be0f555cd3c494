/// When `--delete` removes extraneous destination files (rsync `--delete-before/-during/-delay/-after`).
public enum DeleteTiming: Sendable {
    case before, during, delay, after
}

/// How an alternate destination directory is used (rsync `--compare-dest`, `--copy-dest`, `--link-dest`).
public enum AlternateDestinationKind: Sendable {
    case compare, copy, link
}

/// A filter option as given on the command line; the order of these is the rule order.
public struct FilterOption: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case include, exclude, filter, includeFrom = "include-from", excludeFrom = "exclude-from"
        case cvsExclude = "cvs-exclude", perDirectoryFilter = "F"
    }
    public var kind: Kind
    public var value: String
    public init(_ kind: Kind, _ value: String) {
        self.kind = kind
        self.value = value
    }
}

/// Every option of one run, passed down as one value (no globals), like openrsync's `struct opts`.
public struct SyncOptions: Sendable {
    // Output
    public var verbose = 0
    public var quiet = false
    public var itemize = 0
    public var outFormat: String?
    /// `--server-items` (swsync's own, client to server): the client shows or logs itemized changes,
    /// so the server sends them; without it the server keeps them to itself.
    public var serverSendsItems = false
    public var stats = false
    /// `--info=statsN`: 1 the closing "sent ... received" summary (`-v`), 2 also the `--stats` block.
    public var infoStats: Int?
    public var statsLevel: Int { infoStats ?? (stats ? 2 : verbose > 0 ? 1 : 0) }
    public var progress = false
    public var progressTotal = false  // --info=progress2
    /// `--info=nameN`: overrides the name output level that `-v` implies.
    public var infoNameLevel: Int?
    public var nameLevel: Int { quiet ? 0 : infoNameLevel ?? (verbose > 1 ? 2 : verbose > 0 || progress ? 1 : 0) }
    /// `--info=removeN`: "sender removed NAME" lines (nil: what `-v` implies, from `-vv` on).
    public var infoRemove: Int?
    public var effectiveInfoRemove: Int { infoRemove ?? (verbose > 1 ? 1 : 0) }
    /// `--info=backupN`: "backed up NAME to BACKUP" and "backup_dir is DIR" lines (nil: from `-vv` on).
    public var infoBackup: Int?
    public var showsBackups: Bool { (infoBackup ?? (verbose > 1 ? 1 : 0)) > 0 && !quiet }
    /// `--info=skipN`: why an entry is left alone ("is newer", "exists", "not creating new file"; nil: from `-vv`).
    public var infoSkip: Int?
    public var skipLevel: Int { quiet ? 0 : infoSkip ?? (verbose > 1 ? 1 : 0) }
    /// `--info=delN`: "deleting NAME" lines when no out-format prints them (nil: from `-v`).
    public var infoDelete: Int?
    public var showsDeletions: Bool { (infoDelete ?? (verbose > 0 ? 1 : 0)) > 0 }
    /// `--info=flistN`: the file-list line ("sending incremental file list", "building file list ... done";
    /// nil: from `-v`, and `--progress`).
    public var infoFileList: Int?
    public var fileListLevel: Int { quiet ? 0 : infoFileList ?? (progress || progressTotal ? 2 : verbose > 0 ? 1 : 0) }
    /// `--info=miscN`: the batch file's "Setting/Clearing the ... option" notices (nil: from `-v`).
    public var infoMisc: Int?
    public var showsMiscNotices: Bool { !quiet && (infoMisc ?? (verbose > 0 ? 1 : 0)) > 0 }
    /// `--info=mountN`: `-x` mount points skipped or kept from deletion (nil: from `-vv`).
    public var infoMount: Int?
    public var showsMountPoints: Bool { !quiet && (infoMount ?? (verbose > 1 ? 1 : 0)) > 0 }
    /// `--info=symsafeN`: "ignoring unsafe symlink", "copying unsafe symlink" (nil: from `-v`).
    public var infoSymlinkSafety: Int?
    public var showsSymlinkSafety: Bool { !quiet && (infoSymlinkSafety ?? (verbose > 0 ? 1 : 0)) > 0 }
    /// `--info=nonregN`: "skipping non-regular file" lines (rsync's default is 1, even without `-v`).
    public var infoNonRegular = 1
    public var humanReadable = 1  // rsync's default level: digits grouped with commas
    public var listOnly = false
    public var logFile: String?
    public var logFileFormat: String?
    public var eightBitOutput = false
    /// Names in messages keep their high-bit bytes (a UTF-8 locale, or `-8`), as rsync prints them.
    public var highBytes: OutputEscaper.HighBytes = .escaped
    /// `--iconv`: the charset this side's names are in (a client's LOCAL part, the part a server was told),
    /// converted to and from UTF-8 on the wire; nil: names travel as they are (rsync's `iconv_opt`).
    public var charset: String?
    /// `--iconv`: the charset the peer (or a local run's receiving half) is told to use (the REMOTE part).
    public var peerCharset: String?

    // What is sent
    public var recursive = false
    public var dirs = false
    public var relative = false
    public var impliedDirs = true
    public var mkpath = false
    public var links = false
    public var copyLinks = false
    public var copyUnsafeLinks = false
    public var safeLinks = false
    /// `--munge-links`: a receiving peer writes symlink targets below `/rsyncd-munged/`, so none leads
    /// anywhere; a sender gives munged targets back without the prefix. Each end acts on its own option
    /// (the client does not forward it).
    public var mungeLinks = false
    public static let mungedLinkPrefix: [UInt8] = Array("/rsyncd-munged/".utf8)
    public var copyDirLinks = false
    public var keepDirLinks = false
    public var hardLinks = false
    public var oneFileSystem = 0
    /// `--ignore-missing-args`: a named source that does not exist is skipped without an error;
    /// `--delete-missing-args` also deletes its counterpart in the destination.
    public var ignoreMissingArgs = false
    public var deleteMissingArgs = false
    /// `--remove-source-files`: the sender removes each non-directory the receiver has in place.
    public var removeSourceFiles = false
    /// `-m`: directories with nothing but empty directories below them are left out of the list.
    public var pruneEmptyDirs = false
    public var filters: [FilterOption] = []
    /// The rules built from `filters` (nil: no rules, every file is sent).
    public var filterList: FilterList?
    /// `--debug=FILTER`: say which rule hid, showed, protected or risked each path.
    public var debugFilter = 0
    /// `--debug=FUZZY`: say which fuzzy basis each new file got.
    public var debugFuzzy = 0
    /// `--debug=NSTR`: the checksum and compression the run uses (2: and the lists offered).
    public var debugNegotiation = 0
    /// `--debug=deltasum`: the delta search's totals line (also printed with `-vv`).
    public var debugDeltasum = 0
    /// `--debug=CMD`: the remote-shell command line ("opening connection using: ..."), on with `-vv`.
    public var debugCommand = 0
    /// An output format prints `%C` (the whole-file checksum of each file written), so it is computed.
    public var reportsFileChecksums = false
    /// `--server-items-after-writes` (swsync's own, client to a receiving server): the client prints `%C`, which
    /// it knows of each file only once it is sent, so each transfer's line is sent after the file is written.
    public var itemsAfterWrites = false
    /// `--match-full-path`: rules see whole relative paths and excluded directories are still entered.
    public var matchFullPath = false
    /// `--from0`: rule files and `--files-from` lists are split at NUL bytes.
    public var fromZero = false
    /// `--files-from=FILE`: the names to send, relative to the one source directory ("-": stdin).
    public var filesFrom: String?
    /// `--shard=K/N` (swsync's own, forwarded to the peer): this run sends, and deletes, only the top-level
    /// entries `Shard` gives it; nil: the whole transfer.
    public var shard: Shard?
    public var minSize: Int64?
    public var maxSize: Int64?

    // Attributes
    public var perms = false
    public var executability = false
    public var chmod: [ChmodRule] = []
    public var times = false
    public var omitDirTimes = false
    public var omitLinkTimes = false
    /// `-U`: how many times given (`-UU` also means `--open-noatime`). Access times of non-directories
    /// are listed, compared (itemize `u`) and set, in whole seconds.
    public var atimes = 0
    public var owner = false
    public var group = false
    public var numericIDs = false
    /// `--usermap`, `--groupmap`, `--chown`: the receiver's owners for the sender's; resolved on the
    /// receiving side before the run.
    public var userMap: IDMap?
    public var groupMap: IDMap?
    /// `-X` (1), `-XX` (2): extended attributes (see `ExtendedAttributePolicy`).
    public var xattrs = 0
    /// `-A`: POSIX ACLs (implies `-p`).
    public var acls = false
    public var devices = false
    public var specials = false
    /// `--drop-D`: this receiver creates no devices or specials, whatever the file list asks for (they
    /// are skipped as without `-D`). Not forwarded: it guards the end it is given to.
    public var dropDevices = false
    /// The receiving process's umask: new files without `-p` get the source mode masked by it.
    public var umask: UInt32 = 0o022
    /// rsync preserves owners (`-o`) only when the receiver runs as the super-user.
    public var isSuperUser = false
    /// The effective uid this process reads local sources with (after `--copy-as`); nil: not known, and
    /// every source is assumed readable until it is opened.
    public var readerUID: UInt32?
    /// `--super` (true) / `--no-super` (false): the super-user activities the receiver attempts, whatever
    /// its uid says (`isSuperUser` is set from this when given).
    public var superUser: Bool?
    /// `--fake-super`: super-user activities kept in extended attributes (`FakeSuperFileSystem`); implies
    /// `isSuperUser` for what is compared and attempted. Not forwarded to a peer, as rsync's is not.
    public var fakeSuper = false
    /// A local run's receiving half is a fake super-user: `--fake-super`, or `-M--fake-super` (rsync applies
    /// `-M` options to the receiver it forks for a local copy, so they can differ).
    public var receiverFakeSuper = false
    /// `--copy-devices`: the sender lists a device as a regular file of its contents (size from the device,
    /// modification time the run's start, as rsync's "now").
    public var copyDevices = false
    /// `--write-devices`: the receiver writes a regular file's data into a device already in the destination
    /// (implies `--inplace`); the device stays a device.
    public var writeDevices = false
    /// When the run started (wall clock), for what rsync dates "now".
    public var startTime = FileTime(seconds: 0)
    /// The receiving process's groups (its effective group and supplementary ones): without super-user
    /// rights, `-g` sets only these (chown to another group would fail; rsync leaves it). Nil: not
    /// known, every group is tried.
    public var memberGroups: Set<UInt32>? = nil

    // What needs updating
    public var checksum = false
    public var sizeOnly = false
    public var ignoreTimes = false
    public var modifyWindow: Int64 = 0
    public var update = false
    public var ignoreExisting = false
    public var existingOnly = false
    public var wholeFile: Bool?  // nil: rsync's default (whole file for local copies)
    /// `-y` (1) and `-yy` (2): a new file's delta basis from a similar file nearby (`FuzzyBasis`).
    public var fuzzy = 0

    // Deletion
    public var delete = false
    public var deleteTiming: DeleteTiming?
    public var deleteExcluded = false
    public var maxDelete: Int?
    public var ignoreErrors = false
    public var force = false

    // Reference directories
    public var alternateDestinations: [[UInt8]] = []
    public var alternateDestinationKind: AlternateDestinationKind?

    // Backups
    public var backup = false
    public var backupDir: [UInt8]?
    public var suffix: [UInt8]?

    // Writes
    public var partial = false
    public var partialDir: [UInt8]?
    public var inplace = false
    /// `--delay-updates`: finished files wait in the partial directory and are renamed into place
    /// together at the end (`DelayedUpdate`).
    public var delayUpdates = false
    /// `--append` (1) and `--append-verify` (2): a shorter destination file only gets the source's tail.
    public var append = 0
    public var tempDir: [UInt8]?
    /// `-S`, `--preallocate`, `--fsync`: how file data is written (`DataWrites`).
    public var sparse = false
    public var preallocate = false
    public var fsync = false
    /// `--no-landlock` (swsync's own): a server does not confine itself with Landlock.
    public var landlock = true
    /// `--insecure-links`: operator paths follow any symlink (`SymlinkTrust`). Not forwarded.
    public var insecureLinks = false
    /// `--confine-root=DIR`, normalised (absolute, no trailing slash; "/" is no confinement). Not forwarded.
    public var confineRoot: [UInt8]?
    /// How this process opens the operator's paths.
    public var symlinkTrust: SymlinkTrust { SymlinkTrust(followsAnyOwner: insecureLinks, confineRoot: confineRoot) }
    public var dryRun = false
    /// `--only-write-batch`: a dry run that still asks the sender for each file's data (the batch keeps it).
    public var writesBatchOnly = false
    /// `--read-batch`: the data comes from a batch file (rsync words some messages differently then).
    public var readsBatch = false
    /// `--jobs` (swsync's own): threads each role works with: files written at once, and the lookups of a
    /// large directory's entries on the sender's side and in the destination. 1 does one thing at a time.
    /// The command line sets it from `DefaultJobs` when `--jobs` is not given.
    public var jobs = 2
    /// What `--jobs` accepts.
    public static let jobRange = 1...64

    // Delta, compression and the remote transport.
    public var blockSize: Int?
    public var compress = false
    public var compressLevel: Int?
    public var compressChoice: String?
    public var checksumChoice: String?
    /// The strong checksum the run uses: the `--checksum-choice` name, xxh128 when none (or one this side
    /// does not know) was given.
    public var transferChecksum: ChecksumChoice { checksumChoice.flatMap { ChecksumChoice(name: $0) } ?? .xxh128 }
    /// `--skip-compress=LIST`: suffixes sent uncompressed with `-z` (nil: rsync's default list).
    public var skipCompress: String?
    public var remoteShell: String?
    /// `-4`/`-6`: passed to an ssh `-e` command, as rsync passes it (the built-in client refuses them).
    public var addressFamily: String?
    public var rsyncPath: String?
    public var bandwidthLimit: Int64?
    public var timeout: Int?
    public var contimeout: Int?

    public init() {}

    /// `--no-inc-recursive` clears it. swsync's list always streams; only rsync's file-list line depends on it.
    public var allowsIncrementalRecursion = true
    /// Whether rsync would send this run's list incrementally: with `-r`, unless a receiver needs the whole list
    /// first (`--delete-before`, `--delete-after`, `--delay-updates`, `-m`) or `--no-inc-recursive` says so.
    public var listsIncrementally: Bool {
        recursive && allowsIncrementalRecursion && !delayUpdates && !pruneEmptyDirs
            && deleteTiming != .before && deleteTiming != .after
    }

    /// The effective deletion timing (`--delete` alone means `--delete-during`).
    public var effectiveDeleteTiming: DeleteTiming? {
        guard delete || deleteTiming != nil else { return nil }
        return deleteTiming ?? .during
    }

    /// The backup suffix: `~` unless `--backup-dir` is given (then empty), or `--suffix`.
    public var effectiveSuffix: [UInt8] {
        if let suffix { return suffix }
        return backupDir == nil ? [UInt8(ascii: "~")] : []
    }

    /// The `--out-format` that `-v`/`-i` imply when none is given.
    /// rsync's "NAME is uptodate" for an entry that needs nothing (and an attribute change's bare name):
    /// at `--info=name2` (`-vv`), when the output has no `%i` (rsync's `maybe_ATTRS_REPORT`).
    public var reportsUpToDateNames: Bool { nameLevel > 1 && !outputItemizes }

    /// The output format shows itemized changes (`%i`: rsync's `stdout_format_has_i`).
    public var outputItemizes: Bool { effectiveOutFormat?.contains("%i") ?? false }

    public var effectiveOutFormat: String? {
        if let outFormat { return outFormat }
        if itemize > 0 { return "%i %n%L" }
        if let infoNameLevel { return infoNameLevel > 0 ? "%n%L" : nil }
        if verbose > 0 || progress { return "%n%L" }
        return nil
    }
}
