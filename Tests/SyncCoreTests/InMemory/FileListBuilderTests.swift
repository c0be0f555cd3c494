import Glibc
import SyncCore
import SyncTestSupport
import Testing

/// The sender's file-list builder on the in-memory file system: rsync's order, the filter rules, `-x`,
/// `-L`, and what it says about sources it cannot read (rsync flist.c `send_file_list`, `f_name_cmp`).
@Suite("File-list builder", .tags(.small))
struct FileListBuilderTests {
    func list(_ fs: InMemoryFileSystem, _ path: String = "/src", options: SyncOptions = .archive,
        device: UInt64? = nil) -> SourceListing
    {
        var builder = FileListBuilder(fs: fs, options: options)
        return builder.list(SourceDirectory(listings: [ListedPath(Array(path.utf8))], device: device), relativeName: [])
    }

    func names(_ listing: SourceListing) -> [String] {
        listing.entries.map { String(decoding: $0.name, as: UTF8.self) }
    }

    @Test func filesFirstThenDirectoriesAsIfTheirNamesEndedInASlash() throws {
        let fs = InMemoryFileSystem()
        for name in ["a.b", "a-c", "B", "é"] { try fs.file("/src/" + name) }
        for name in ["a", "ab", "a.d", "Z"] { try fs.directory("/src/" + name) }
        let listing = list(fs)
        // Bytes, not characters: "B" (0x42) before "a"; "é" (0xC3 0xA9) last. "a.d/" before "a/" ('.' < '/'),
        // and "a/" before "ab/" ('/' < 'b').
        #expect(names(listing) == ["B", "a-c", "a.b", "é", "Z", "a.d", "a", "ab"])
        #expect(Set(listing.subdirectories.keys.map { String(decoding: $0, as: UTF8.self) }) == ["a", "ab", "a.d", "Z"])
        #expect(listing.isContentDirectory)
    }

    /// The lister thread lists on a copy of the builder; the time it takes is seen through the original.
    @Test func copiesShareTheirListingTime() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/f")
        let builder = FileListBuilder(fs: fs, options: .archive)
        var copy = builder
        _ = copy.list(SourceDirectory(listings: [ListedPath(Array("/src".utf8))]), relativeName: [])
        #expect(copy.buildTime === builder.buildTime)
    }

    @Test func entriesCarryTheirLstatAndLinkTarget() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/f", "12345", mode: 0o640, mtime: t0)
        try fs.symlink("/src/l", to: "f")
        let entries = list(fs).entries
        #expect(entries.map(\.kind) == [.regular, .symlink])
        #expect(entries[0].status.size == 5 && entries[0].status.permissions == 0o640 && entries[0].status.mtime == t0)
        #expect(entries[0].sourcePath == Array("/src/f".utf8))
        #expect(entries[1].symlinkTarget == Array("f".utf8))
        #expect(list(fs).transferSize(links: true) == 5 + 1)
    }

    @Test func copyLinksListsTheTargetAndADanglingLinkIsAnError() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/f", "12345")
        try fs.symlink("/src/l", to: "f")
        try fs.symlink("/src/dangling", to: "nowhere")
        let listing = list(fs, options: .archive { $0.copyLinks = true })
        #expect(names(listing) == ["f", "l"])
        #expect(listing.entries[1].kind == .regular && listing.entries[1].symlinkTarget == nil)
        #expect(listing.messages.map(\.text) == ["symlink has no referent: \"/src/dangling\""])
        #expect(listing.hadIOError)
    }

    @Test func excludedEntriesAreNotListedAndExcludedDirectoriesNotEntered() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/keep.c")
        try fs.file("/src/drop.o")
        try fs.file("/src/build/out")
        var options = SyncOptions.archive
        try options.addFilters([FilterOption(.exclude, "*.o"), FilterOption(.exclude, "build/")])
        let listing = list(fs, options: options)
        #expect(names(listing) == ["keep.c"])
        #expect(listing.subdirectories.isEmpty)
    }

    @Test func anIncludeBeforeAnExcludeWins() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/a.o")
        try fs.file("/src/b.o")
        var options = SyncOptions.archive
        try options.addFilters([FilterOption(.include, "a.o"), FilterOption(.exclude, "*.o")])
        #expect(names(list(fs, options: options)) == ["a.o"])
    }

    @Test func perDirectoryRulesAreReadFromTheSource() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/.rsync-filter", "- *.tmp\n")
        try fs.file("/src/x.tmp")
        try fs.file("/src/y")
        var options = SyncOptions.archive
        try options.addFilters([FilterOption(.perDirectoryFilter, "")])
        #expect(names(list(fs, options: options)) == [".rsync-filter", "y"])
    }

    @Test func oneFileSystemListsAMountPointEmptyAndTwiceLeavesItOut() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/local/f")
        try fs.file("/src/mnt/g")
        try fs.setDevice("/src/mnt", 0x999)
        let device = fs.status("/src")!.device
        for (level, expected) in [(0, ["local", "mnt"]), (1, ["local", "mnt"]), (2, ["local"])] {
            let listing = list(fs, options: .archive { $0.oneFileSystem = level }, device: device)
            #expect(names(listing) == expected, "-x level \(level)")
            let mount = listing.subdirectories[Array("mnt".utf8)]
            #expect(mount.map(\.listings.isEmpty) == (level == 0 ? false : level == 1 ? true : nil), "-x level \(level)")
        }
    }

    /// ENOENT between readdir and lstat: the name vanished (exit 24, deletions go on); any other error
    /// is an I/O error (exit 23, no deletions).
    @Test(arguments: [
        (ENOENT, "file has vanished: \"/src/bad\"", true),
        (EIO, "[sender] link_stat \"/src/bad\" failed: Input/output error (5)", false),
    ])
    func anEntryThatCannotBeStatted(errno: Int32, message: String, vanished: Bool) throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/stays")
        try fs.file("/src/bad")
        fs.inject(.lstat, path: "/src/bad", errno: errno)
        let listing = list(fs)
        #expect(names(listing) == ["stays"])
        #expect(listing.messages.map(\.text) == [message])
        #expect(listing.hadVanished == vanished && listing.hadIOError == !vanished)
    }

    @Test func anUnreadableRootIsChangeDirAndASubdirectoryOpendir() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/sub/f")
        fs.inject(.listDirectory, .any, errno: EACCES, times: nil)
        var builder = FileListBuilder(fs: fs, options: .archive)
        let root = builder.list(SourceDirectory(listings: [ListedPath(Array("/src/".utf8))]), relativeName: [])
        #expect(root.messages.map(\.text) == ["[sender] change_dir \"/src\" failed: Permission denied (13)"])
        #expect(root.hadIOError && builder.ioError)
        var other = FileListBuilder(fs: fs, options: .archive)
        let sub = other.list(SourceDirectory(listings: [ListedPath(Array("/src/sub".utf8))]), relativeName: Array("sub".utf8))
        #expect(sub.messages.map(\.text) == ["[sender] opendir \"/src/sub\" failed: Permission denied (13)"])
        #expect(sub.hadIOError && sub.entries.isEmpty && sub.isContentDirectory)
    }

    @Test func rootOfNamedSources() throws {
        let fs = try sourceTree()
        let observer = RecordingObserver()
        var options = SyncOptions.archive
        options.recursive = false
        var builder = FileListBuilder(fs: fs, options: options)
        let tree = SourceTree(arguments: [Array("/src/a".utf8), Array("/src/sub".utf8), Array("/src/missing".utf8)],
            relative: false)
        let root = builder.listRoot(of: tree, observer: observer)
        // Without -r or -d a named directory is skipped, as rsync says; a missing name is the sender's error,
        // reported as the arguments are checked.
        #expect(names(root.listing) == ["a"])
        #expect(observer.infos == ["skipping directory sub"])
        #expect(observer.errors.map { $0.hasSuffix("[sender] link_stat \"/src/missing\" failed: No such file or directory (2)") } == [true])
        #expect(root.ioError)
        #expect(root.dotEntry == nil)
    }

    @Test func theContentsOfADirectoryAndItsDotEntry() throws {
        let fs = try sourceTree()
        var builder = FileListBuilder(fs: fs, options: .archive)
        let root = builder.listRoot(of: SourceTree(arguments: [Array("/src/".utf8)], relative: false),
            observer: RecordingObserver())
        #expect(names(root.listing) == ["a", "sub"])
        #expect(root.dotEntry?.name == Array(".".utf8))
        #expect(root.dotEntry?.status.mtime == t0)
        #expect(root.listing.descends(into: root.listing.entries[1], recursive: true))
    }

    @Test func relativeKeepsThePathWithImpliedDirectories() throws {
        let fs = try sourceTree()
        var options = SyncOptions.archive
        options.relative = true
        var builder = FileListBuilder(fs: fs, options: options)
        let tree = SourceTree(arguments: [Array("/src/./sub/b".utf8)], relative: true)
        let root = builder.listRoot(of: tree, observer: RecordingObserver())
        #expect(names(root.listing) == ["sub"])
        #expect(root.listing.entries[0].isImpliedDirectory)
        let sub = builder.list(root.listing.subdirectories[Array("sub".utf8)]!, relativeName: Array("sub".utf8))
        #expect(names(sub) == ["sub/b"], "only the named path, not sub/c")
    }

    // MARK: Confinement to the source root

    @Test func aSubdirectorySwappedForASymlinkAfterItsParentWasListedVanishesInsteadOfBeingFollowed() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/sub/f", "inside")
        try fs.file("/outside/secret", "secret")
        var builder = FileListBuilder(fs: fs, options: .archive)
        let root = builder.list(SourceDirectory(listings: [ListedPath(Array("/src/".utf8))]), relativeName: [])
        try fs.rename(Array("/src/sub".utf8), to: Array("/src/old".utf8))
        try fs.symlink("/src/sub", to: "/outside")
        let sub = builder.list(root.subdirectories[Array("sub".utf8)]!, relativeName: Array("sub".utf8))
        #expect(sub.entries.isEmpty)
        #expect(sub.messages.map(\.text) == ["file has vanished: \"/src/sub\""])
        #expect(sub.hadVanished && !sub.hadIOError)
    }

    @Test func aListedFileIsReadAgainBelowItsRootNeverThroughASwappedParent() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/src/sub/f", "inside")
        try fs.file("/outside/f", "secret")
        var builder = FileListBuilder(fs: fs, options: .archive)
        let root = builder.list(SourceDirectory(listings: [ListedPath(Array("/src/".utf8))]), relativeName: [])
        let sub = builder.list(root.subdirectories[Array("sub".utf8)]!, relativeName: Array("sub".utf8))
        let address = ListedFileAddress(try #require(sub.entries.first))
        guard case .beneath(_, let relativePath) = address else {
            Issue.record("a listed file is addressed below its root")
            return
        }
        #expect(relativePath == Array("sub/f".utf8) && address.path == Array("/src/sub/f".utf8))
        #expect(try fs.openListedFile(address).size() == 6)
        try fs.rename(Array("/src/sub".utf8), to: Array("/src/old".utf8))
        try fs.symlink("/src/sub", to: "/outside")
        do {
            let opened = try fs.openListedFile(address)
            Issue.record("opened \(String(decoding: opened.path, as: UTF8.self)) through the swapped symlink")
        } catch {
            // O_DIRECTORY | O_NOFOLLOW on the symlink: ENOTDIR, as Linux says.
            #expect(error.errno == SystemErrno.notDirectory && error.isGoneFromListedPlace)
        }
    }

    @Test func aFileReachedThroughAFollowedSymlinkIsReadByItsPath() throws {
        let fs = InMemoryFileSystem()
        try fs.file("/elsewhere/f", "12345")
        try fs.symlink("/src/l", to: "/elsewhere/f")
        let entry = try #require(list(fs, options: .archive { $0.copyLinks = true }).entries.first)
        #expect(entry.isFollowedSymlink && entry.sourceRoot == nil)
        guard case .path(let path) = ListedFileAddress(entry) else {
            Issue.record("-L reads a followed symlink by its path")
            return
        }
        #expect(path == Array("/src/l".utf8))
    }
}
