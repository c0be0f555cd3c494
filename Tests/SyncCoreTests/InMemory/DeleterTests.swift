import Glibc
import SyncTestSupport
import Testing

@testable import SyncCore

/// The deleter alone, on the in-memory file system: what it removes from one destination directory, in
/// which order, and what it leaves (rsync generator.c `delete_in_dir`, delete.c `delete_item`).
@Suite("Deleter", .tags(.small))
struct DeleterTests {
    let fs = InMemoryFileSystem()
    let observer = RecordingObserver()

    init() throws {
        try fs.file("/dst/keep", "k")
        try fs.file("/dst/b", "b")
        try fs.file("/dst/a", "a")
        try fs.file("/dst/d/inner", "i")
        try fs.file("/dst/d/deeper/f", "f")
        try fs.symlink("/dst/link", to: "keep")
    }

    func deleter(_ configure: (inout SyncOptions) -> Void = { _ in }) -> Deleter<InMemoryFileSystem> {
        var options = SyncOptions()
        options.delete = true
        configure(&options)
        var receiver = Receiver(fs: fs, options: options, isInterrupted: { false })
        receiver.destinationRoot = Array("/dst".utf8)
        return Deleter(fs: fs, options: options, observer: observer, receiver: receiver)
    }

    func deleteExtraneous(_ deleter: Deleter<InMemoryFileSystem>, ioError: Bool = false) {
        deleter.deleteExtraneous(in: Array("/dst".utf8), name: [], keeping: [Array("keep".utf8)], ioError: ioError)
    }

    @Test func reverseFileListOrderWithContentsBeforeTheirDirectory() {
        let deleter = deleter()
        deleteExtraneous(deleter)
        #expect(observer.deletions == ["d/deeper/f", "d/deeper/", "d/inner", "d/", "link", "b", "a"])
        #expect(fs.tree("/dst") == ["keep f644 k"])
        #expect(deleter.deleted.total == 7)
        #expect(deleter.deleted.directory == 2 && deleter.deleted.symlink == 1 && deleter.deleted.regular == 4)
    }

    @Test func anIOErrorDeletesNothingAndSaysSoOnce() {
        let deleter = deleter()
        deleteExtraneous(deleter, ioError: true)
        deleteExtraneous(deleter, ioError: true)
        #expect(observer.deletions == [])
        #expect(observer.infos.contains("IO error encountered -- skipping file deletion"))
        #expect(fs.tree("/dst").count == 8)
    }

    @Test func dryRunReportsWithoutRemoving() {
        let before = fs.tree("/dst")
        deleteExtraneous(deleter { $0.dryRun = true })
        #expect(observer.deletions.count == 7)
        #expect(fs.tree("/dst") == before)
    }

    @Test func maxDeleteCountsAndKeepsTheRest() {
        let deleter = deleter { $0.maxDelete = 3 }
        deleteExtraneous(deleter)
        // rsync 3.5: the same three, then "Deletions stopped due to --max-delete limit (4 skipped)".
        #expect(observer.deletions == ["d/deeper/f", "d/deeper/", "d/inner"])
        #expect(deleter.skippedByMaxDelete == 4, "d/, link, b, a")
        #expect(fs.exists("/dst/a") && fs.exists("/dst/d"))
    }

    @Test func protectedAndExcludedEntriesStay() throws {
        let rules = try FilterList(
            options: [FilterOption(.filter, "P b"), FilterOption(.exclude, "inner")], load: { _ in nil })
        let deleter = deleter { $0.filterList = rules }
        deleteExtraneous(deleter)
        // rsync 3.5: "*deleting d/deeper/f", "*deleting d/deeper/", "cannot delete non-empty directory: d",
        // "*deleting link", "*deleting a".
        #expect(observer.deletions == ["d/deeper/f", "d/deeper/", "link", "a"])
        // Once: a directory the deletion starts from is not tried with rmdir when something stays.
        #expect(observer.infos == ["cannot delete non-empty directory: d"])
        #expect(fs.exists("/dst/b") && fs.exists("/dst/d/inner"))
    }

    @Test func backupMovesDeletedFilesAside() {
        deleteExtraneous(deleter { $0.backup = true })
        // As rsync 3.5 leaves it: every file and symlink renamed with a tilde, the directories kept.
        #expect(fs.tree("/dst") == ["a~ f644 a", "b~ f644 b", "d d755", "d/deeper d755", "d/deeper/f~ f644 f",
            "d/inner~ f644 i", "keep f644 k", "link~ L -> keep"])
        #expect(observer.deletions == ["d/deeper/f", "d/inner", "link", "b", "a"])
        #expect(observer.infos == ["cannot delete non-empty directory: d/deeper", "cannot delete non-empty directory: d"])
    }

    @Test func aFileAnotherRunTookIsNotReported() {
        fs.inject(.removeFile, path: "/dst/b", errno: ENOENT)
        deleteExtraneous(deleter())
        #expect(!observer.deletions.contains("b"))
        #expect(observer.errors == [])
    }

    @Test func aFileThatCannotBeRemovedIsAnError() {
        fs.inject(.removeFile, path: "/dst/b", errno: EACCES)
        deleteExtraneous(deleter())
        #expect(observer.errors == ["delete_file: unlink \"/dst/b\" failed: Permission denied (13)"])
        #expect(observer.deletions == ["d/deeper/f", "d/deeper/", "d/inner", "d/", "link", "a"])
        #expect(fs.exists("/dst/b"))
    }

    @Test func nothingIsDeletedBehindASymlinkInPlaceOfADirectory() throws {
        try fs.file("/elsewhere/precious", "p")
        try fs.symlink("/dst/sub", to: "/elsewhere")
        let deleter = deleter()
        deleter.deleteExtraneous(in: Array("/dst/sub".utf8), name: Array("sub".utf8), keeping: [], ioError: false)
        #expect(observer.deletions == [])
        #expect(fs.exists("/elsewhere/precious"))
    }

    @Test func deferredDeletionsWaitForRunDeferred() {
        let deleter = deleter { $0.deleteTiming = .after }
        deleter.collectExtraneous(in: Array("/dst".utf8), name: [], keeping: [Array("keep".utf8)])
        #expect(observer.deletions == [])
        #expect(fs.tree("/dst").count == 8)
        try? fs.removeFile(Array("/dst/b".utf8))  // gone meanwhile: skipped, not an error
        deleter.runDeferred(ioError: false)
        #expect(observer.deletions == ["d/deeper/f", "d/deeper/", "d/inner", "d/", "link", "a"])
        #expect(observer.errors == [])
    }

    @Test func deferredDeletionsAfterAnIOErrorDoNothing() {
        let deleter = deleter { $0.deleteTiming = .after }
        deleter.collectExtraneous(in: Array("/dst".utf8), name: [], keeping: [Array("keep".utf8)])
        deleter.runDeferred(ioError: true)
        #expect(observer.deletions == [])
        #expect(observer.infos.contains("IO error encountered -- skipping file deletion"))
    }
}
