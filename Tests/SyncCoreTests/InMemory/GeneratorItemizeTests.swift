import SyncCore
import SyncTestSupport
import Testing

/// The itemize lines (`-i`, rsync(1) "--itemize-changes": `YXcstpoguax`) and the attributes the generator
/// leaves on directories, symlinks, devices and specials, on the in-memory file system.
@Suite("Generator: itemized changes and attributes", .tags(.small))
struct GeneratorItemizeTests {
    @Test func aNewDirectoryInAnExistingDestination() throws {
        let fs = try sourceTree()
        try fs.directory("/dst", mtime: t0)
        let run = LocalRun(fs)
        // File-list order: the root's files, then each directory with its contents.
        #expect(run.changes == [">f+++++++++ a", "cd+++++++++ sub/", ">f+++++++++ sub/b", ">f+++++++++ sub/c"])
        #expect(run.observer.infos == [], "the destination existed: no 'created directory'")
    }

    @Test func directoryAttributesAreItemizedAndSetAfterTheContents() throws {
        let fs = try syncedTree()
        fs.now = t1
        try fs.setPermissions(Array("/dst/sub".utf8), 0o700)
        try fs.setTime("/dst/sub", t1)
        try fs.rewrite("/src/sub/b", "BETA")  // same size, a new time (now): sent, which touches /dst/sub
        try fs.setTime("/src/sub/b", t1)
        let run = LocalRun(fs)
        #expect(run.changes == [".d..tp..... sub/", ">f..t...... sub/b"])
        #expect(fs.status("/dst/sub")?.permissions == 0o755)
        #expect(fs.status("/dst/sub")?.mtime == t0, "set after the file was renamed into it")
    }

    @Test func aNewSymlinkAndAnUnchangedOne() throws {
        let fs = try sourceTree()
        try fs.symlink("/src/l", to: "a", mtime: t0)
        try fs.setTime("/src", t0)
        let first = LocalRun(fs)
        #expect(first.changes.contains("cL+++++++++ l -> a"))
        #expect(fs.snapshot("/dst")["l"]?.kind == .symlink)
        #expect(try fs.readLink(Array("/dst/l".utf8)) == Array("a".utf8))
        #expect(fs.status("/dst/l")?.mtime == t0, "-t sets a symlink's own time (utimensat, no follow)")
        let second = LocalRun(fs)
        #expect(second.lines.contains(".L          l -> a"))
        #expect(second.changes == [])
    }

    @Test func aSymlinkWithAnotherTargetIsReplaced() throws {
        let fs = try syncedTree()
        try fs.symlink("/src/l", to: "a", mtime: t0)
        try fs.symlink("/dst/l", to: "elsewhere", mtime: t0)
        try fs.setTime("/src", t0)
        try fs.setTime("/dst", t0)
        let run = LocalRun(fs)
        #expect(run.changes == ["cLc........ l -> a"], "rsync 3.5 prints the same for a new target")
        #expect(try fs.readLink(Array("/dst/l".utf8)) == Array("a".utf8))
    }

    @Test func symlinksAreSkippedWithoutLinks() throws {
        let fs = try sourceTree()
        try fs.symlink("/src/l", to: "a")
        let run = LocalRun(fs, .archive { $0.links = false })
        #expect(run.observer.infos.contains("skipping non-regular file \"l\""))
        #expect(!fs.exists("/dst/l"))
        #expect(run.status == .success)
    }

    @Test func copyLinksSendsTheTargetAsAFile() throws {
        let fs = try sourceTree()
        try fs.symlink("/src/l", to: "a")
        let run = LocalRun(fs, .archive { $0.copyLinks = true })
        #expect(run.fileChanges.contains(">f+++++++++ l"))
        #expect(fs.snapshot("/dst")["l"]?.description == "f644 alpha")
    }

    @Test func devicesAndSpecialsWithD() throws {
        let fs = try sourceTree()
        try fs.node("/src/tty", .characterDevice, mode: 0o620, rdev: 0x0401, mtime: t0)
        try fs.node("/src/pipe", .fifo, mode: 0o600, mtime: t0)
        try fs.setTime("/src", t0)
        let run = LocalRun(fs, .archive { $0.isSuperUser = true })
        #expect(run.fileChanges == [">f+++++++++ a", "cS+++++++++ pipe", "cD+++++++++ tty", ">f+++++++++ sub/b",
            ">f+++++++++ sub/c"])
        #expect(fs.snapshot("/dst")["tty"]?.description == "D620 1025")
        #expect(fs.snapshot("/dst")["pipe"]?.description == "S600")
        let again = LocalRun(fs, .archive { $0.isSuperUser = true })
        #expect(again.changes == [], "same type and rdev: up to date")
    }

    @Test func aDeviceWithAnotherNumberIsMadeAgain() throws {
        let fs = try syncedTree()
        try fs.node("/src/tty", .characterDevice, mode: 0o620, rdev: 0x0401, mtime: t0)
        try fs.node("/dst/tty", .characterDevice, mode: 0o620, rdev: 0x0402, mtime: t0)
        try fs.setTime("/src", t0)
        try fs.setTime("/dst", t0)
        let run = LocalRun(fs, .archive { $0.isSuperUser = true })
        #expect(run.changes == ["cDc........ tty"], "rsync 3.5 prints the same for another rdev")
        #expect(fs.status("/dst/tty")?.rdev == 0x0401)
    }

    @Test func specialsAreSkippedWithoutThem() throws {
        let fs = try sourceTree()
        try fs.node("/src/pipe", .fifo)
        try fs.node("/src/tty", .characterDevice, rdev: 0x0401)
        let run = LocalRun(fs, .archive { $0.specials = false; $0.isSuperUser = true })
        #expect(run.observer.infos.contains("skipping non-regular file \"pipe\""))
        #expect(!fs.exists("/dst/pipe"))
        #expect(fs.exists("/dst/tty"), "-D's other half, --devices, is still on")
    }

    @Test func devicesNeedASuperUser() throws {
        let fs = try sourceTree()
        try fs.node("/src/tty", .characterDevice, rdev: 0x0401)
        try fs.node("/src/pipe", .fifo)
        let run = LocalRun(fs, .archive { $0.isSuperUser = false })
        #expect(run.observer.infos.contains("skipping non-regular file \"tty\""), "rsync's am_root test")
        #expect(!fs.exists("/dst/tty"))
        #expect(fs.exists("/dst/pipe"), "special files need no privilege")
    }

    @Test func withoutPermsANewFileTakesTheSourceModeMaskedByTheUmask() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/x", "x", mode: 0o666, mtime: t0)
        try fs.file("/src/run", "#!", mode: 0o777, mtime: t0)
        try fs.file("/dst/run", "old", mode: 0o700, mtime: t1)
        var options = SyncOptions.archive
        options.perms = false
        let run = LocalRun(fs, options)
        #expect(run.status == .success)
        #expect(fs.status("/dst/x")?.permissions == 0o644)
        #expect(fs.status("/dst/run")?.permissions == 0o700, "an existing file keeps its mode (rsync dest_mode)")
        options.perms = true
        _ = LocalRun(fs, options)
        #expect(fs.status("/dst/run")?.permissions == 0o777)
    }

    @Test func executabilityCopiesOnlyTheExecuteBits() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/run", "#!/bin/sh", mode: 0o755, mtime: t0)
        try fs.file("/dst/run", "#!/bin/sh", mode: 0o640, mtime: t0)
        let run = LocalRun(fs, .archive {
            $0.perms = false
            $0.executability = true
        })
        #expect(run.fileChanges == [".f...p..... run"])
        #expect(fs.status("/dst/run")?.permissions == 0o750, "read bits become execute bits (rsync dest_mode)")
    }

    @Test func groupIsPreservedAndItemized() throws {
        let fs = try syncedTree()
        try fs.setOwner(Array("/dst/a".utf8), uid: nil, gid: 50)
        let run = LocalRun(fs)
        #expect(run.changes == [".f.....g... a"])
        #expect(fs.status("/dst/a")?.gid == 1000)
    }

    @Test func ownerCountsOnlyForTheSuperUser() throws {
        let fs = try syncedTree()
        try fs.setOwner(Array("/dst/a".utf8), uid: 77, gid: nil)
        #expect(LocalRun(fs).changes == [], "-o is ignored when the receiver is not root")
        let run = LocalRun(fs, .archive { $0.isSuperUser = true })
        #expect(run.changes == [".f....o.... a"])
        #expect(fs.status("/dst/a")?.uid == 1000)
    }

    @Test func dryRunItemizesButChangesNothing() throws {
        let fs = try sourceTree()
        try fs.file("/dst/a", "old", mtime: t1)
        try fs.file("/dst/extra", "x")
        let before = fs.tree("/dst")
        let callsBefore = fs.calls.count
        let run = LocalRun(fs, .archive {
            $0.dryRun = true
            $0.delete = true
        })
        #expect(run.fileChanges == [">f.st...... a", ">f+++++++++ sub/b", ">f+++++++++ sub/c"])
        #expect(run.deletions == ["extra"])
        #expect(fs.tree("/dst") == before)
        let writes: [InMemoryFileSystem.Operation] = [.rename, .removeFile, .makeDirectory, .open, .setModificationTime]
        #expect(!fs.calls.dropFirst(callsBefore).contains { writes.contains($0.operation) && $0.path.hasPrefix("/dst") })
    }

    @Test func aFileReplacesAnEmptyDirectoryButNotAFullOne() throws {
        let fs = try sourceTree()
        try fs.directory("/dst/a")
        #expect(LocalRun(fs).fileChanges.contains(">f+++++++++ a"))
        #expect(fs.contents("/dst/a") == "alpha")

        let full = try sourceTree()
        try full.file("/dst/a/inside", "kept")
        let run = LocalRun(full)
        #expect(run.observer.infos.contains("cannot delete non-empty directory: a"))
        #expect(run.errors.contains("could not make way for new regular file: a"))
        #expect(run.status == .partial)
        #expect(full.contents("/dst/a/inside") == "kept")
        #expect(full.contents("/dst/sub/b") == "beta", "the run goes on after the failed entry")
    }

    @Test func backupKeepsTheOldVersionWithATilde() throws {
        let fs = try syncedTree()
        try fs.rewrite("/dst/a", "older")
        try fs.setTime("/dst/a", t1)
        let run = LocalRun(fs, .archive { $0.backup = true })
        #expect(run.fileChanges == [">f..t...... a"])
        #expect(fs.contents("/dst/a") == "alpha")
        #expect(fs.contents("/dst/a~") == "older")
    }

    @Test func inplaceKeepsTheInodeAndATempFileRunDoesNot() throws {
        for inplace in [false, true] {
            let fs = try syncedTree()
            try fs.rewrite("/src/a", "ALPHA")
            try fs.setTime("/src/a", t1)
            let inode = fs.status("/dst/a")?.inode
            _ = LocalRun(fs, .archive { $0.inplace = inplace })
            #expect(fs.contents("/dst/a") == "ALPHA")
            #expect((fs.status("/dst/a")?.inode == inode) == inplace, "--inplace=\(inplace)")
            #expect(fs.tree("/dst").count == 4, "no temp file left: \(fs.tree("/dst"))")
        }
    }

    @Test func aSingleFileToANewName() throws {
        let fs = try sourceTree()
        try fs.directory("/dst")
        let run = LocalRun(fs, sources: ["/src/a"], destination: "/dst/renamed")
        #expect(run.status == .success)
        #expect(run.changes == [">f+++++++++ a"], "itemized by its file-list name, as rsync's %n")
        #expect(fs.tree("/dst") == ["renamed f644 alpha"])
    }

    @Test func aSingleFileIntoAMissingParentIsRefused() throws {
        let fs = try sourceTree()
        let run = LocalRun(fs, sources: ["/src/a"], destination: "/missing/renamed")
        #expect(run.status == .fileSelection)
        #expect(run.thrown?.message == "[Receiver] change_dir#3 \"/missing\" failed: No such file or directory (2)")
    }

    @Test func manySourcesNeedADirectory() throws {
        let fs = try sourceTree()
        try fs.file("/dst", "a file")
        let run = LocalRun(fs, sources: ["/src/a", "/src/sub"], destination: "/dst")
        #expect(run.status == .fileSelection)
        #expect(run.thrown?.message == "ERROR: destination must be a directory when copying more than 1 file")
    }

    @Test func anInterruptedRunStopsWithSignalStatus() throws {
        let fs = try sourceTree()
        let observer = RecordingObserver()
        observer.interrupt()
        let run = LocalRun(fs, observer: observer)
        #expect(run.status == .signal)
        #expect(!fs.exists("/dst/sub/b"))
    }
}
