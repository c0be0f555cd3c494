import Glibc
import SyncCore
import SyncTestSupport
import Testing

/// `--delete` and its timings, `--max-delete`, and the rule that nothing is deleted after a source I/O
/// error (rsync(1), "--delete", "--max-delete", "--ignore-errors"), through whole generator runs.
@Suite("Generator: deletions", .tags(.small))
struct GeneratorDeletionTests {
    /// An up-to-date destination with three extraneous entries (`x`, `old/`, `old/y`) and one changed
    /// source file (`a`), so that each run both sends and deletes.
    func withExtraneous() throws -> InMemoryFileSystem {
        let fs = try syncedTree()
        try fs.file("/dst/x", "x")
        try fs.file("/dst/old/y", "y")
        try fs.file("/dst/sub/z", "z")
        try fs.rewrite("/src/a", "ALPHA")
        try fs.setTime("/src/a", t1)
        return fs
    }

    func options(_ timing: DeleteTiming?) -> SyncOptions {
        var options = SyncOptions.archive
        options.delete = true
        options.deleteTiming = timing
        return options
    }

    /// The run's events as short strings: `./` and `a` for items, `-x` for deletions.
    func order(_ run: LocalRun) -> [String] {
        run.observer.events.compactMap { event in
            switch event {
            case .item(let line): return String(line.dropFirst(12))
            case .deleted(let name): return "-" + name
            default: return nil
            }
        }
    }

    @Test func deleteRemovesWhatTheSourceLacksContentsFirst() throws {
        let fs = try withExtraneous()
        let run = LocalRun(fs, options(nil))
        #expect(run.status == .success)
        // Reverse file-list order in each directory: directories (contents first), then files.
        #expect(run.deletions == ["old/y", "old/", "x", "sub/z"])
        #expect(fs.tree("/dst") == ["a f644 ALPHA", "sub d755", "sub/b f644 beta", "sub/c f644 gamma"])
        #expect(run.stats.deleted.total == 4)
        #expect(fs.status("/dst")?.mtime == t0, "the directory's time survives the deletions in it")
    }

    /// `--shard=K/N`: the shards, one after another, send and delete what one run does, each deletion by
    /// one shard (a top-level name by its owner, `sub/z` by `sub`'s), and a shard leaves the others' names.
    @Test(arguments: [2, 3])
    func shardsTogetherDeleteEachEntryOnce(count: Int) throws {
        let whole = try withExtraneous()
        let expected = LocalRun(whole, options(nil)).deletions
        let fs = try withExtraneous()
        var deletions: [String] = []
        for k in 1...count {
            var options = options(nil)
            let shard = try Shard(index: k, count: count)
            options.shard = shard
            deletions += LocalRun(fs, options).deletions
            for name in ["x", "old"] where k == 1 && !shard.owns(Array(name.utf8)) {
                #expect(fs.exists("/dst/" + name), "shard 1 of \(count) deleted \(name)")
            }
        }
        #expect(deletions.sorted() == expected.sorted())
        #expect(fs.tree("/dst") == whole.tree("/dst"))
    }

    @Test func withoutDeleteNothingGoes() throws {
        let fs = try withExtraneous()
        let run = LocalRun(fs)
        #expect(run.deletions == [])
        #expect(fs.exists("/dst/old/y") && fs.exists("/dst/x"))
    }

    @Test(arguments: [
        (DeleteTiming?.none, ["./", "-old/y", "-old/", "-x", "a", "sub/", "-sub/z", "sub/b", "sub/c"]),
        (.during, ["./", "-old/y", "-old/", "-x", "a", "sub/", "-sub/z", "sub/b", "sub/c"]),
        (.before, ["-old/y", "-old/", "-x", "-sub/z", "./", "a", "sub/", "sub/b", "sub/c"]),
        (.delay, ["./", "a", "sub/", "sub/b", "sub/c", "-old/y", "-old/", "-x", "-sub/z"]),
        (.after, ["./", "a", "sub/", "sub/b", "sub/c", "-old/y", "-old/", "-x", "-sub/z"]),
    ])
    func timings(timing: DeleteTiming?, expected: [String]) throws {
        let fs = try withExtraneous()
        let run = LocalRun(fs, options(timing))
        #expect(order(run) == expected)
        #expect(!fs.exists("/dst/old") && !fs.exists("/dst/x") && !fs.exists("/dst/sub/z"))
    }

    @Test func maxDeleteStopsDeletionsWithExit25() throws {
        let fs = try withExtraneous()
        var options = options(nil)
        options.maxDelete = 2
        let run = LocalRun(fs, options)
        #expect(run.deletions == ["old/y", "old/"])
        #expect(run.deletionsSkipped == 2, "x and sub/z")
        #expect(fs.exists("/dst/x") && fs.exists("/dst/sub/z"))
        #expect(run.status == .maxDelete)
        #expect(fs.contents("/dst/a") == "ALPHA", "the transfer itself is done")
    }

    @Test func maxDeleteZeroDeletesNothing() throws {
        let fs = try withExtraneous()
        var options = options(.after)
        options.maxDelete = 0
        let run = LocalRun(fs, options)
        #expect(run.deletions == [])
        #expect(run.status == .maxDelete)
        #expect(fs.exists("/dst/x"))
    }

    @Test func aPartialTransferOutranksMaxDelete() throws {
        let fs = try withExtraneous()
        fs.inject(.rename, .path("/dst/a"), errno: EACCES)
        var options = options(nil)
        options.maxDelete = 1
        let run = LocalRun(fs, options)
        #expect(run.errors.contains { $0.hasPrefix("[receiver] rename \"/dst/a\" failed: Permission denied (13)") })
        #expect(run.deletionsSkipped > 0)
        #expect(run.status == .partial, "rsync: 23 wins over 25")
    }

    /// `--delete-before` scans the whole source before it deletes anything: an I/O error in the last
    /// directory scanned still stops the deletions in the directories scanned before it.
    @Test func deleteBeforeWaitsForTheWholeScan() throws {
        let fs = try withExtraneous()
        try fs.directory("/src/zz")
        try fs.file("/src/zz/unreadable", "u")
        fs.inject(.lstat, path: "/src/zz/unreadable", errno: EIO, times: nil)
        let run = LocalRun(fs, options(.before))
        #expect(run.infos.contains("IO error encountered -- skipping file deletion"))
        #expect(run.deletions == [])
        #expect(fs.exists("/dst/x") && fs.exists("/dst/old/y") && fs.exists("/dst/sub/z"))
        #expect(run.status == .partial)
    }

    @Test(arguments: [DeleteTiming?.none, .before, .after])
    func aSourceIOErrorSkipsEveryDeletion(timing: DeleteTiming?) throws {
        let fs = try withExtraneous()
        try fs.file("/src/unreadable", "u")
        fs.inject(.lstat, path: "/src/unreadable", errno: EIO, times: nil)
        let run = LocalRun(fs, options(timing))
        #expect(run.errors.contains("[sender] link_stat \"/src/unreadable\" failed: Input/output error (5)"))
        #expect(run.infos.contains("IO error encountered -- skipping file deletion"))
        #expect(run.deletions == [])
        #expect(fs.exists("/dst/x") && fs.exists("/dst/old/y") && fs.exists("/dst/sub/z"))
        #expect(run.status == .partial)
        #expect(fs.contents("/dst/a") == "ALPHA", "the transfer goes on")
    }

    @Test func ignoreErrorsDeletesAfterASourceIOError() throws {
        let fs = try withExtraneous()
        try fs.file("/src/unreadable", "u")
        fs.inject(.lstat, path: "/src/unreadable", errno: EIO, times: nil)
        var options = options(nil)
        options.ignoreErrors = true
        let run = LocalRun(fs, options)
        #expect(run.deletions == ["old/y", "old/", "x", "sub/z"])
        #expect(run.status == .partial, "the read error still counts")
    }

    @Test func anUnreadableSubdirectoryStopsDeletionsFromThenOn() throws {
        let fs = try withExtraneous()
        fs.inject(.listDirectory, path: "/src/sub", errno: EACCES, times: nil)
        let run = LocalRun(fs, options(.during))
        #expect(run.errors.contains("[sender] opendir \"/src/sub\" failed: Permission denied (13)"))
        // The root's extraneous entries went before the sender met the error; sub's stay.
        #expect(run.deletions == ["old/y", "old/", "x"])
        #expect(fs.exists("/dst/sub/z"))
        #expect(run.status == .partial)
    }

    @Test func aVanishedSourceIsExit24AndDeletionsStillRun() throws {
        let fs = try withExtraneous()
        try fs.file("/src/gone", "g")
        fs.inject(.lstat, path: "/src/gone", errno: ENOENT)
        let run = LocalRun(fs, options(nil))
        #expect(run.errors.contains("file has vanished: \"/src/gone\""))
        #expect(run.deletions == ["old/y", "old/", "x", "sub/z"])
        #expect(run.status == .vanished)
    }

    @Test func deleteExcludedRemovesExcludedFilesAndOtherwiseTheyAreProtected() throws {
        for deleteExcluded in [false, true] {
            let fs = try syncedTree()
            try fs.file("/dst/keep.o", "object")
            var options = options(nil)
            options.deleteExcluded = deleteExcluded
            var configuration = FilterConfiguration()
            configuration.deleteExcluded = deleteExcluded
            options.filters = [FilterOption(.exclude, "*.o")]
            options.filterList = try FilterList(options: options.filters, configuration: configuration, load: { _ in nil })
            let run = LocalRun(fs, options)
            #expect(run.deletions == (deleteExcluded ? ["keep.o"] : []), "--delete-excluded=\(deleteExcluded)")
            #expect(fs.exists("/dst/keep.o") == !deleteExcluded)
        }
    }

    @Test func anotherRunsTempFileIsLeftAlone() throws {
        let fs = try syncedTree()
        try fs.file("/dst/.a.Xy12Zq", "being written")
        try fs.setInUseByWriter("/dst/.a.Xy12Zq")
        try fs.file("/dst/.b.Ab34Cd", "left over")
        let run = LocalRun(fs, options(nil))
        #expect(run.deletions == [".b.Ab34Cd"])
        #expect(fs.exists("/dst/.a.Xy12Zq"))
    }

    @Test func maxDeleteKeepsADirectoryWhoseContentsItStopped() throws {
        let fs = try syncedTree()
        try fs.file("/dst/old/y1", "y")
        try fs.file("/dst/old/y2", "y")
        var options = options(nil)
        options.maxDelete = 1
        let run = LocalRun(fs, options)
        #expect(run.deletions == ["old/y2"])
        #expect(run.observer.infos.contains("cannot delete non-empty directory: old"))
        #expect(run.status == .maxDelete)
        #expect(fs.tree("/dst/old") == ["y1 f644 y"])
    }

    @Test func forceReplacesANonEmptyDirectoryWithAFile() throws {
        let fs = try sourceTree()
        try fs.file("/dst/a/inside", "i")
        let run = LocalRun(fs, .archive { $0.force = true })
        // rsync logs what it deletes to make room, not the directory itself (delete_item, DEL_MAKE_ROOM).
        #expect(run.deletions == ["a/inside"])
        #expect(fs.contents("/dst/a") == "alpha")
        #expect(run.status == .success)
    }
}
