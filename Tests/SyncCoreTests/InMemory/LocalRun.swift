import SyncCore
import SyncTestSupport

/// Times for fixtures: sources are dated `t0`, other versions `t1` and later.
let t0 = FileTime(seconds: 1_600_000_000)
let t1 = FileTime(seconds: 1_600_000_100)

extension FileTime {
    func plus(_ seconds: Int64, nanoseconds: Int64 = 0) -> FileTime {
        FileTime(seconds: self.seconds + seconds, nanoseconds: self.nanoseconds + nanoseconds)
    }
}

extension SyncOptions {
    /// `-a` (`-rlptgoD`) as the command line sets it for a user who is not root, with `-i`.
    static var archive: SyncOptions {
        var options = SyncOptions()
        options.recursive = true
        options.links = true
        options.perms = true
        options.times = true
        options.group = true
        options.owner = true
        options.devices = true
        options.specials = true
        options.itemize = 1
        return options
    }

    /// `archive` with changes: `.archive { $0.checksum = true }`.
    static func archive(_ change: (inout SyncOptions) -> Void) -> SyncOptions {
        var options = archive
        change(&options)
        return options
    }

    /// Adds filter rules as `--filter` options would, read from the command line.
    mutating func addFilters(_ rules: [FilterOption]) throws {
        filters += rules
        filterList = try FilterList(options: filters, load: { _ in nil })
    }
}

/// The outcome of one local run on an in-memory file system, wired as `Transfer.run` wires it.
struct LocalRun {
    let observer: RecordingObserver
    /// The exit status: the generator's, or the thrown error's.
    let status: ExitStatus
    let thrown: SyncError?
    let stats: TransferStats
    let deletionsSkipped: Int

    var changes: [String] { observer.changes }
    /// `changes` without the directories' lines.
    var fileChanges: [String] { changes.filter { Array($0.utf8)[1] != UInt8(ascii: "d") } }
    var lines: [String] { observer.lines }
    var deletions: [String] { observer.deletions }
    var errors: [String] { observer.errors }
    var infos: [String] { observer.infos }

    /// Runs `sources` (default `/src/`, the contents of /src) into `destination`.
    init(_ fs: InMemoryFileSystem, _ options: SyncOptions = .archive, sources: [String] = ["/src/"],
        destination: String = "/dst", observer: RecordingObserver = RecordingObserver())
    {
        self.observer = observer
        let generator = Generator(fs: fs, options: options, observer: observer)
        let tree = SourceTree(arguments: sources.map { Array($0.utf8) }, relative: options.relative)
        do {
            try generator.run(tree: tree, destination: Array(destination.utf8))
            thrown = nil
            status = generator.exitStatus
        } catch {
            thrown = error
            status = error.status
        }
        stats = generator.stats
        deletionsSkipped = generator.deletionsSkipped
    }
}

/// A source tree of three files in two directories, every entry dated `t0`:
/// `/src/a` ("alpha"), `/src/sub/b` ("beta"), `/src/sub/c` ("gamma").
func sourceTree(_ fs: InMemoryFileSystem = InMemoryFileSystem()) throws -> InMemoryFileSystem {
    try fs.file("/src/a", "alpha", mtime: t0)
    try fs.file("/src/sub/b", "beta", mtime: t0)
    try fs.file("/src/sub/c", "gamma", mtime: t0)
    try fs.setTime("/src/sub", t0)
    try fs.setTime("/src", t0)
    return fs
}

/// `sourceTree` copied to `/dst` by a first run, so the next run starts up to date.
func syncedTree() throws -> InMemoryFileSystem {
    let fs = try sourceTree()
    _ = LocalRun(fs)
    return fs
}
