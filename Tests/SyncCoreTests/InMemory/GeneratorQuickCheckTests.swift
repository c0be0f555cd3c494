import SyncCore
import SyncTestSupport
import Testing

/// Which regular files the generator sends, on the in-memory file system: rsync's quick check (size and
/// mtime), `-c`, `--size-only`, `-I`, `--modify-window`, `-u`, `--existing` and `--ignore-existing`
/// (rsync(1), "--checksum" and the options after it; generator.c `quick_check_ok`).
@Suite("Generator: what needs updating", .tags(.small))
struct GeneratorQuickCheckTests {
    /// /src/a ("alpha", t0) and a destination /dst/a as given.
    func pair(_ contents: String, mtime: FileTime, mode: UInt32 = 0o644) throws -> InMemoryFileSystem {
        let fs = InMemoryFileSystem()
        try fs.file("/src/a", "alpha", mtime: t0)
        try fs.file("/dst/a", contents, mode: mode, mtime: mtime)
        try fs.setTime("/src", t0)
        try fs.setTime("/dst", t0)
        return fs
    }

    @Test func aNewDestinationGetsEverything() throws {
        let fs = try sourceTree()
        let run = LocalRun(fs)
        #expect(run.status == .success)
        #expect(run.changes == ["cd+++++++++ ./", ">f+++++++++ a", "cd+++++++++ sub/", ">f+++++++++ sub/b", ">f+++++++++ sub/c"])
        #expect(run.observer.infos == ["created directory /dst"])
        #expect(fs.tree("/dst") == ["a f644 alpha", "sub d755", "sub/b f644 beta", "sub/c f644 gamma"])
        // -t: every time is the source's, the directories' set after their contents.
        for path in ["/dst", "/dst/a", "/dst/sub", "/dst/sub/c"] { #expect(fs.status(path)?.mtime == t0, "\(path)") }
        #expect(run.stats.regularFilesTransferred == 3)
    }

    @Test func aSecondRunChangesNothing() throws {
        let fs = try syncedTree()
        fs.now = t1
        let run = LocalRun(fs)
        #expect(run.status == .success)
        #expect(run.changes == [])
        #expect(run.lines.count == 5, "each entry is still itemized, as -ii shows: \(run.lines)")
        #expect(run.observer.transfersStarted == [])
        #expect(fs.status("/dst/sub")?.mtime == t0)
    }

    @Test func sameSizeAndTimeIsUpToDateEvenWithOtherBytes() throws {
        // The quick check looks at size and mtime only: rsync trusts them without -c.
        let fs = try pair("ALPHA", mtime: t0)
        let run = LocalRun(fs)
        #expect(run.changes == [])
        #expect(fs.contents("/dst/a") == "ALPHA")
    }

    @Test(arguments: [
        ("alpha!", t0, ">f.s....... a"),  // another size
        ("ALPHA", t1, ">f..t...... a"),  // another time
        ("alphabet", t1, ">f.st...... a"),  // both
    ])
    func aDifferentSizeOrTimeIsSent(contents: String, mtime: FileTime, expected: String) throws {
        let fs = try pair(contents, mtime: mtime)
        let run = LocalRun(fs)
        #expect(run.changes == [expected])
        #expect(fs.contents("/dst/a") == "alpha")
        #expect(fs.status("/dst/a")?.mtime == t0)
    }

    @Test func checksumSendsSameSizeAndTimeWithOtherBytes() throws {
        let fs = try pair("ALPHA", mtime: t0)
        let run = LocalRun(fs, .archive { $0.checksum = true })
        #expect(run.changes == [">fc........ a"])
        #expect(fs.contents("/dst/a") == "alpha")
    }

    @Test func checksumOnlySetsTheTimeOfSameBytes() throws {
        let fs = try pair("alpha", mtime: t1)
        let inode = fs.status("/dst/a")?.inode
        let run = LocalRun(fs, .archive { $0.checksum = true })
        #expect(run.changes == [".f..t...... a"])
        #expect(run.observer.transfersStarted == [])
        #expect(fs.status("/dst/a")?.inode == inode, "the file was rewritten")
        #expect(fs.status("/dst/a")?.mtime == t0)
    }

    @Test func sizeOnlyIgnoresTimeAndBytes() throws {
        let fs = try pair("ALPHA", mtime: t1)
        let run = LocalRun(fs, .archive { $0.sizeOnly = true })
        #expect(run.changes == [".f..t...... a"])
        #expect(fs.contents("/dst/a") == "ALPHA")
        #expect(fs.status("/dst/a")?.mtime == t0, "-t still sets the time")
    }

    @Test func ignoreTimesSendsAnUpToDateFile() throws {
        let fs = try pair("alpha", mtime: t0)
        let inode = fs.status("/dst/a")?.inode
        let run = LocalRun(fs, .archive { $0.ignoreTimes = true })
        #expect(run.changes == [">f......... a"])
        #expect(fs.status("/dst/a")?.inode != inode, "sent through a temp file renamed over it")
    }

    @Test(arguments: [
        (Int64(0), Int64(1), false),  // whole seconds must match
        (Int64(2), Int64(2), true),  // within the window
        (Int64(2), Int64(3), false),  // beyond it
    ])
    func modifyWindow(window: Int64, offset: Int64, upToDate: Bool) throws {
        let fs = try pair("ALPHA", mtime: t0.plus(offset))
        let run = LocalRun(fs, .archive { $0.modifyWindow = window })
        #expect(run.changes == (upToDate ? [] : [">f..t...... a"]))
        #expect(fs.contents("/dst/a") == (upToDate ? "ALPHA" : "alpha"))
    }

    @Test func nanosecondsCountOnlyWithAWindowOfMinusOne() throws {
        for window: Int64 in [0, -1] {
            let fs = try pair("ALPHA", mtime: t0.plus(0, nanoseconds: 500))
            let run = LocalRun(fs, .archive { $0.modifyWindow = window })
            #expect(run.changes == (window == 0 ? [] : [">f..t...... a"]), "--modify-window=\(window)")
        }
    }

    @Test func updateSkipsANewerDestination() throws {
        let fs = try pair("newer", mtime: t1)
        let run = LocalRun(fs, .archive { $0.update = true })
        #expect(run.changes == [])
        #expect(run.lines.allSatisfy { !$0.hasSuffix(" a") }, "-u skips it without an itemize line")
        #expect(fs.contents("/dst/a") == "newer")
    }

    @Test func updateSendsOverAnOlderDestination() throws {
        let fs = try pair("older", mtime: t0.plus(-100))
        let run = LocalRun(fs, .archive { $0.update = true })
        #expect(run.changes == [">f..t...... a"])
        #expect(fs.contents("/dst/a") == "alpha")
    }

    @Test func existingSendsOnlyWhatTheDestinationHas() throws {
        let fs = try sourceTree()
        try fs.file("/dst/a", "old", mtime: t1)
        let run = LocalRun(fs, .archive { $0.existingOnly = true })
        #expect(run.fileChanges == [">f.st...... a"])
        #expect(fs.tree("/dst") == ["a f644 alpha"], "no new file, no new directory")
    }

    @Test func ignoreExistingSendsOnlyWhatTheDestinationLacks() throws {
        let fs = try sourceTree()
        try fs.file("/dst/a", "old", mtime: t1)
        let run = LocalRun(fs, .archive { $0.ignoreExisting = true })
        #expect(run.fileChanges == [">f+++++++++ sub/b", ">f+++++++++ sub/c"])
        #expect(fs.contents("/dst/a") == "old")
        #expect(fs.contents("/dst/sub/c") == "gamma")
    }

    @Test func minAndMaxSizeLeaveFilesOut() throws {
        let fs = try sourceTree()  // a: 5 bytes, sub/b: 4, sub/c: 5
        var options = SyncOptions.archive
        options.minSize = 5
        options.maxSize = 5
        try fs.file("/src/big", "123456", mtime: t0)
        let run = LocalRun(fs, options)
        #expect(run.fileChanges == [">f+++++++++ a", ">f+++++++++ sub/c"])
    }

    @Test func withoutTimesAnUnchangedFileIsSentAgain() throws {
        // -r without -t: the destination's time is the transfer time, so the quick check fails and
        // rsync's itemize line shows T (the time it will get).
        let fs = try pair("alpha", mtime: t1)
        let run = LocalRun(fs, .archive { $0.times = false })
        #expect(run.changes == [">f..T...... a"])
    }
}
