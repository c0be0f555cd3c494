import Glibc
import SyncCore
import SyncTestSupport
import Testing

/// What a failing disk does to a run: a full destination ends it (exit 11, no deletions), a source that
/// shrinks or cannot be opened is the sender's error (23, or 24 when it is gone), a directory that cannot
/// be made skips its contents. Docs/architecture.md, "Exit codes"; rsync(1), EXIT VALUES.
@Suite("Generator: failures", .tags(.small))
struct GeneratorFailureTests {
    /// The source tree; /dst holds an old `a` and an extraneous `x`.
    func fixture() throws -> InMemoryFileSystem {
        let fs = try sourceTree()
        try fs.file("/dst/a", "old", mtime: t1)
        try fs.file("/dst/x", "extraneous")
        return fs
    }

    func deletingAfter(workers: Int = 1) -> SyncOptions {
        var options = SyncOptions.archive
        options.deleteTiming = .after
        options.jobs = workers
        return options
    }

    /// Names in /dst that look like temp files (`.NAME.XXXXXX`).
    func leftovers(_ fs: InMemoryFileSystem) -> [String] {
        fs.snapshot("/dst").keys.filter { $0.split(separator: "/").last!.hasPrefix(".") }.sorted()
    }

    @Test func aFullDiskEndsTheRunWithFileIOAndDeletesNothing() throws {
        let fs = try fixture()
        fs.inject(.write, .inDirectory("/dst"), errno: ENOSPC, times: nil)
        let run = LocalRun(fs, deletingAfter())
        #expect(run.status == .fileIO)
        #expect(run.thrown?.message == "[receiver] write failed on \"/dst/a\": No space left on device (28)")
        #expect(run.deletions == [])
        #expect(fs.exists("/dst/x"))
        #expect(fs.contents("/dst/a") == "old", "the old file stays whole")
        #expect(leftovers(fs) == [])
        #expect(!fs.exists("/dst/sub/b"), "the walk stops at the first full write")
    }

    @Test func aFullDiskWithCopyWorkersStopsTheQueuedWrites() throws {
        let fs = try fixture()
        fs.capacity = fs.usedBytes + 2  // not even "alpha" fits
        let run = LocalRun(fs, deletingAfter(workers: 2))
        #expect(run.status == .fileIO)
        #expect(run.thrown?.message.hasPrefix("[receiver] write failed on \"/dst/") == true)
        #expect(run.thrown?.message.hasSuffix(": No space left on device (28)") == true)
        #expect(run.deletions == [])
        #expect(fs.exists("/dst/x"))
        #expect(leftovers(fs) == [])
        #expect(fs.contents("/dst/a") == "old")
    }

    /// As rsync, a file goes as long as it is when it is opened: one that shrank since it was listed is sent
    /// as it is now (a shrink while it is read is the read error: `DataSafetyTests`).
    @Test func aSourceThatShrankAfterListingIsSentAsItIsNow() throws {
        let fs = try fixture()
        fs.after(.lstat, .path("/src/a")) { fs in try! fs.rewrite("/src/a", "al") }
        let run = LocalRun(fs, deletingAfter())
        #expect(run.status == .success)
        #expect(fs.contents("/dst/a") == "al")
        #expect(run.deletions == ["x"])
        #expect(fs.contents("/dst/sub/b") == "beta", "the other files are sent")
        #expect(leftovers(fs) == [])
    }

    @Test func aSourceThatGrewAfterListingIsSentWhole() throws {
        let fs = try fixture()
        fs.after(.lstat, .path("/src/a")) { fs in try! fs.rewrite("/src/a", "alpha and more") }
        let run = LocalRun(fs, deletingAfter())
        #expect(run.status == .success)
        #expect(fs.contents("/dst/a") == "alpha and more")
        #expect(run.deletions == ["x"])
    }

    @Test func aSourceThatCannotBeOpened() throws {
        let fs = try fixture()
        fs.inject(.open, path: "/src/a", errno: EACCES)
        let run = LocalRun(fs, deletingAfter())
        #expect(run.errors.contains("[sender] send_files failed to open \"/src/a\": Permission denied (13)"))
        #expect(run.status == .partial)
        #expect(fs.contents("/dst/a") == "old")
        #expect(run.deletions == ["x"], "a receiver-side failure does not stop deletions")
    }

    @Test func aSourceThatVanishedBeforeItWasOpened() throws {
        let fs = try fixture()
        fs.after(.lstat, .path("/src/a")) { fs in try! fs.removeFile(Array("/src/a".utf8)) }
        let run = LocalRun(fs, deletingAfter())
        #expect(run.errors.contains("file has vanished: \"/src/a\""))
        #expect(run.status == .vanished)
        #expect(fs.contents("/dst/a") == "old")
    }

    @Test func aDirectoryThatCannotBeMadeSkipsItsContents() throws {
        let fs = try fixture()
        fs.inject(.makeDirectory, path: "/dst/sub", errno: EACCES)
        let run = LocalRun(fs, deletingAfter())
        #expect(run.errors.contains("[generator] recv_generator: mkdir \"/dst/sub\" failed: Permission denied (13)"))
        #expect(run.status == .partial)
        #expect(!fs.exists("/dst/sub"))
        #expect(fs.contents("/dst/a") == "alpha")
    }

    @Test func aFailedRenameLeavesNoTempFile() throws {
        let fs = try fixture()
        fs.inject(.rename, .path("/dst/a"), errno: EIO)
        let run = LocalRun(fs, deletingAfter())
        #expect(run.errors.contains { $0.hasPrefix("[receiver] rename \"/dst/a\" failed: Input/output error (5)") })
        #expect(run.status == .partial)
        #expect(fs.contents("/dst/a") == "old")
        #expect(leftovers(fs) == [])
    }

    @Test func anUnreadableSourceRootIsChangeDir() throws {
        let fs = try fixture()
        fs.inject(.listDirectory, path: "/src", errno: EACCES, times: nil)
        let run = LocalRun(fs, deletingAfter())
        #expect(run.errors.first == "[sender] change_dir \"/src\" failed: Permission denied (13)")
        #expect(run.status == .partial)
        #expect(run.deletions == [])
    }
}
