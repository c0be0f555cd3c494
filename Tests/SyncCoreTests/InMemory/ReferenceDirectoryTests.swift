import SyncCore
import SyncTestSupport
import Testing

/// `--link-dest`, `--compare-dest` and `--copy-dest` (rsync(1); generator.c `try_dests_reg`,
/// `try_dests_non`) and `-H` hard-link groups, on the in-memory file system.
@Suite("Generator: reference directories and hard links", .tags(.small))
struct ReferenceDirectoryTests {
    /// The source tree, and /ref holding an identical copy of `a` and an older `sub/b`.
    func withReference() throws -> InMemoryFileSystem {
        let fs = try sourceTree()
        try fs.file("/ref/a", "alpha", mtime: t0)
        try fs.file("/ref/sub/b", "BETA", mtime: t1)
        return fs
    }

    func options(_ kind: AlternateDestinationKind, _ directories: [String] = ["/ref"]) -> SyncOptions {
        var options = SyncOptions.archive
        options.alternateDestinationKind = kind
        options.alternateDestinations = directories.map { Array($0.utf8) }
        return options
    }

    @Test func linkDestLinksAnIdenticalFileAndSendsTheRest() throws {
        let fs = try withReference()
        let run = LocalRun(fs, options(.link))
        #expect(run.status == .success)
        #expect(run.lines.contains("hf          a"))
        // sub/b differs: sent, itemized against the reference copy (no +++++++++).
        #expect(run.fileChanges == [">f..t...... sub/b", ">f+++++++++ sub/c"])
        let tree = fs.snapshot("/dst")
        #expect(tree["a"]?.inode == fs.status("/ref/a")?.inode)
        #expect(tree["a"]?.linkCount == 2)
        #expect(tree["sub/b"]?.inode != fs.status("/ref/sub/b")?.inode)
        #expect(fs.contents("/ref/sub/b") == "BETA", "the reference is never written")
    }

    @Test func linkDestReplacesAnExistingCopyWithTheLink() throws {
        let fs = try withReference()
        try fs.file("/dst/a", "alpha", mtime: t0)
        let run = LocalRun(fs, options(.link))
        #expect(run.lines.contains("hf          a"))
        #expect(fs.status("/dst/a")?.inode == fs.status("/ref/a")?.inode)
        #expect(fs.tree("/dst").filter { $0.hasPrefix(".") } == [], "the temp link was renamed into place")
    }

    @Test func aRelativeReferenceIsResolvedAgainstTheDestination() throws {
        let fs = try withReference()
        let run = LocalRun(fs, options(.link, ["../ref"]))
        #expect(run.errors == [])
        #expect(fs.status("/dst/a")?.inode == fs.status("/ref/a")?.inode)
    }

    @Test func aMissingReferenceIsAWarningOnly() throws {
        let fs = try sourceTree()
        let run = LocalRun(fs, options(.link, ["/nowhere"]))
        #expect(run.errors == ["--link-dest arg does not exist: /nowhere"])
        #expect(run.status == .success)
        #expect(fs.contents("/dst/a") == "alpha")
    }

    @Test func compareDestLeavesOutWhatTheReferenceHas() throws {
        let fs = try withReference()
        let run = LocalRun(fs, options(.compare))
        #expect(run.fileChanges == [">f..t...... sub/b", ">f+++++++++ sub/c"])
        #expect(!fs.exists("/dst/a"))
        #expect(fs.contents("/dst/sub/b") == "beta")
    }

    @Test func compareDestRemovesADestinationCopyTheReferenceMakesRedundant() throws {
        let fs = try withReference()
        try fs.file("/dst/a", "alpha", mtime: t0)
        _ = LocalRun(fs, options(.compare))
        #expect(!fs.exists("/dst/a"))
    }

    @Test func copyDestCopiesLocallyInsteadOfLinking() throws {
        let fs = try withReference()
        let run = LocalRun(fs, options(.copy))
        #expect(run.lines.contains("cf          a"))
        #expect(fs.contents("/dst/a") == "alpha")
        #expect(fs.status("/dst/a")?.inode != fs.status("/ref/a")?.inode)
        #expect(fs.status("/ref/a")?.linkCount == 1)
    }

    /// A reference root that fails to open (here as when it is swapped for a symlink while it is opened) is
    /// never looked into by its path afterwards: nothing is copied or linked from it.
    @Test(arguments: [AlternateDestinationKind.copy, .link, .compare])
    func aRootThatFailsToOpenIsNotReadByPath(_ kind: AlternateDestinationKind) throws {
        let fs = try withReference()
        fs.inject(.listDirectory, path: "/ref", errno: 40)  // ELOOP, the O_NOFOLLOW walk meeting a symlink
        let run = LocalRun(fs, options(kind))
        #expect(run.fileChanges.contains(">f+++++++++ a"), "\(run.lines)")
        #expect(fs.status("/dst/a")?.inode != fs.status("/ref/a")?.inode)
    }

    @Test func theFirstIdenticalReferenceWins() throws {
        let fs = try sourceTree()
        try fs.file("/ref1/a", "alpha", mtime: t1)  // another time: not identical
        try fs.file("/ref2/a", "alpha", mtime: t0)
        _ = LocalRun(fs, options(.link, ["/ref1", "/ref2"]))
        #expect(fs.status("/dst/a")?.inode == fs.status("/ref2/a")?.inode)
    }

    @Test func linkDestLinksIdenticalSymlinksToo() throws {
        let fs = try sourceTree()
        try fs.symlink("/src/l", to: "a", mtime: t0)
        try fs.symlink("/ref/l", to: "a", mtime: t0)
        _ = LocalRun(fs, options(.link))
        #expect(fs.status("/dst/l")?.inode == fs.status("/ref/l")?.inode)
    }

    // MARK: -H

    func hardLinkedSource() throws -> InMemoryFileSystem {
        let fs = InMemoryFileSystem()
        try fs.file("/src/a", "shared", mtime: t0)
        try fs.hardLink("/src/b", to: "/src/a")
        try fs.file("/src/c", "alone", mtime: t0)
        try fs.setTime("/src", t0)
        return fs
    }

    @Test func hardLinksSendTheLastMemberAndLinkTheOthers() throws {
        let fs = try hardLinkedSource()
        let run = LocalRun(fs, .archive { $0.hardLinks = true })
        #expect(run.status == .success)
        // rsync sends the group's last member and links the ones before it to it.
        #expect(run.fileChanges == [">f+++++++++ b", ">f+++++++++ c", "hf+++++++++ a => b"])
        let tree = fs.snapshot("/dst")
        #expect(tree["a"]?.inode == tree["b"]?.inode)
        #expect(tree["a"]?.linkCount == 2)
        #expect(tree["c"]?.linkCount == 1)
        #expect(fs.status("/dst")?.mtime == t0, "the directory's time is set again after the late link")
        #expect(run.stats.regularFilesTransferred == 2, "b and c; a is a link")
    }

    @Test func withoutHHardLinksArriveAsSeparateFiles() throws {
        let fs = try hardLinkedSource()
        let run = LocalRun(fs)
        #expect(run.fileChanges == [">f+++++++++ a", ">f+++++++++ b", ">f+++++++++ c"])
        #expect(fs.status("/dst/a")?.inode != fs.status("/dst/b")?.inode)
    }

    @Test func hardLinksJoinAnUpToDateMember() throws {
        let fs = try hardLinkedSource()
        try fs.file("/dst/a", "shared", mtime: t0)
        try fs.file("/dst/b", "shared", mtime: t0)  // the same bytes, but not linked
        let run = LocalRun(fs, .archive { $0.hardLinks = true })
        // a is up to date and becomes the leader; b is linked to it in place of its copy.
        #expect(run.fileChanges == ["hf          b => a", ">f+++++++++ c"])
        #expect(fs.status("/dst/a")?.inode == fs.status("/dst/b")?.inode)
        #expect(fs.status("/dst/a")?.linkCount == 2)
    }

    @Test func aGroupWithMembersOutsideTheTransferIsStillLinked() throws {
        let fs = try hardLinkedSource()
        try fs.hardLink("/elsewhere", to: "/src/a")  // link count 3, only two in the transfer
        let run = LocalRun(fs, .archive { $0.hardLinks = true })
        #expect(run.status == .success)
        #expect(fs.status("/dst/a")?.inode == fs.status("/dst/b")?.inode)
        #expect(fs.contents("/dst/a") == "shared")
        // rsync groups the members its file list holds, so it prints what it prints without the outside
        // link; swsync counts links, waits for a last member that never comes, and sends b at the end.
        withKnownIssue("a group with links outside the transfer is itemized after the rest of its directory") {
            #expect(run.fileChanges == [">f+++++++++ b", ">f+++++++++ c", "hf+++++++++ a => b"])
        }
        #expect(Set(run.fileChanges) == [">f+++++++++ b", ">f+++++++++ c", "hf+++++++++ a => b"])
    }
}
