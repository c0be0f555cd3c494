import Glibc
import SyncCore
import SyncPlatform
import SyncTestSupport
import CSyncShims
import Testing

/// `PosixFileSystem`'s directory handles: entries examined through a handle are the entries of the
/// directory that was opened, even once its path leads elsewhere, and failures name the entry's path.
@Suite("Directory handles", .tags(.medium))
struct DirectoryHandleTests {
    let fs = PosixFileSystem()

    /// A fresh directory under /tmp, removed by the caller's `defer`.
    func scratch() throws -> String {
        var template = Array("/tmp/swsync-handles.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let path = try #require(made.map { String(cString: $0) })
        return path
    }

    func write(_ path: String, _ text: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = text.withCString { Glibc.write(descriptor, $0, strlen($0)) }
        close(descriptor)
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func entriesThroughTheHandleMatchThePaths() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        write(root + "/f", "data")
        mkdir(root + "/d", 0o755)
        symlink("f", root + "/l")
        let handle = try fs.openDirectory(bytes(root))
        #expect(try fs.listDirectory(handle).sorted { $0.lexicographicallyPrecedes($1) } == [bytes("d"), bytes("f"), bytes("l")])
        for name in ["f", "d", "l"] {
            let (viaHandle, viaPath) = (try fs.lstat(bytes(name), in: handle), try fs.lstat(bytes(root + "/" + name)))
            #expect(viaHandle.inode == viaPath.inode && viaHandle.mode == viaPath.mode && viaHandle.size == viaPath.size)
            #expect(try fs.stat(bytes(name), in: handle).inode == fs.stat(bytes(root + "/" + name)).inode)
        }
        #expect(try fs.lstat(bytes("l"), in: handle).kind == .symlink)
        #expect(try fs.stat(bytes("l"), in: handle).kind == .regular)
        #expect(try fs.readLink(bytes("l"), in: handle) == bytes("f"))
    }

    @Test func aFailureNamesTheEntrysPath() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        let handle = try fs.openDirectory(bytes(root))
        #expect(throws: SystemCallError.self) { try fs.lstat(bytes("missing"), in: handle) }
        do {
            _ = try fs.lstat(bytes("missing"), in: handle)
        } catch {
            #expect(error.call == "lstat")
            #expect(error.errno == ENOENT)
            #expect(error.path == bytes(root + "/missing"))
        }
        #expect(throws: SystemCallError.self) { try fs.openDirectory(bytes(root + "/missing")) }
    }

    /// The directory is moved away and another put at its path: the handle still reads the first.
    @Test func theHandleKeepsTheDirectoryItOpened() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        mkdir(root + "/a", 0o755)
        write(root + "/a/first", "1")
        let handle = try fs.openDirectory(bytes(root + "/a"))
        #expect(rename(root + "/a", root + "/moved") == 0)
        mkdir(root + "/elsewhere", 0o755)
        write(root + "/elsewhere/second", "2")
        #expect(symlink("elsewhere", root + "/a") == 0)
        #expect(try fs.listDirectory(handle) == [bytes("first")])
        #expect(try fs.lstat(bytes("first"), in: handle).kind == .regular)
        #expect(throws: SystemCallError.self) { try fs.lstat(bytes("second"), in: handle) }
    }

    @Test func writesThroughAHandleStayInTheOpenedDirectoryWhenItsPathIsSwapped() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        mkdir(root + "/dest", 0o755)
        mkdir(root + "/outside", 0o755)
        let directory = try fs.openDirectory(bytes(root + "/dest"))
        // Another user swaps the directory for a symlink leading elsewhere.
        rename(root + "/dest", root + "/moved")
        symlink(root + "/outside", root + "/dest")

        let file = try fs.createFile(FileLocation(bytes(".f.tmp"), in: directory), permissions: 0o600)
        try fs.rename(FileLocation(bytes(".f.tmp"), in: directory), to: FileLocation(bytes("f"), in: directory))
        try fs.setPermissions(FileLocation(bytes("f"), in: directory), 0o640)
        try fs.setModificationTime(FileLocation(bytes("f"), in: directory), FileTime(seconds: 1_000_000, nanoseconds: 0))
        try fs.makeDirectory(FileLocation(bytes("sub"), in: directory), permissions: 0o755)
        try fs.makeSymlink(FileLocation(bytes("link"), in: directory), target: bytes("f"))
        try fs.makeHardLink(FileLocation(bytes("g"), in: directory), to: FileLocation(bytes("f"), in: directory))
        _ = file

        #expect(try fs.listDirectory(bytes(root + "/outside")).isEmpty)
        let moved = try fs.listDirectory(bytes(root + "/moved")).map { String(decoding: $0, as: UTF8.self) }.sorted()
        #expect(moved == ["f", "g", "link", "sub"])
        let status = try fs.lstat(bytes(root + "/moved/f"))
        #expect(status.permissions == 0o640 && status.mtime.seconds == 1_000_000 && status.linkCount == 2)
        try fs.removeFile(FileLocation(bytes("g"), in: directory))
        try fs.removeDirectory(FileLocation(bytes("sub"), in: directory))
        #expect(try fs.listDirectory(bytes(root + "/moved")).count == 2)
    }

    @Test func aSymlinkAtTheFinalComponentIsNeverFollowed() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        mkdir(root + "/outside", 0o755)
        write(root + "/outside/secret", "secret")
        symlink(root + "/outside", root + "/sub")
        symlink(root + "/outside/secret", root + "/file")
        let directory = try fs.openDirectory(bytes(root))
        let sub = FileLocation(bytes("sub"), in: directory)
        let file = FileLocation(bytes("file"), in: directory)

        #expect(throws: SystemCallError.self) { try fs.openDirectory(sub, followingSymlink: false) }
        #expect(try fs.openDirectory(sub, followingSymlink: true).path == bytes(root + "/sub"))  // -K
        #expect(throws: SystemCallError.self) { try fs.openForUpdate(file) }
        #expect(throws: SystemCallError.self) { try fs.openForReading(file) }
        #expect(throws: SystemCallError.self) { try fs.openSource(file, followingSymlink: false) }
        #expect(try fs.openSource(file, followingSymlink: true).size() == 6)  // -L
        #expect(throws: SystemCallError.self) { try fs.createFile(file, permissions: 0o600) }
        #expect(throws: SystemCallError.self) { try fs.setPermissions(file, 0o777) }
        try fs.setModificationTime(file, FileTime(seconds: 1_000_000, nanoseconds: 0))  // the link's own time
        let secret = try fs.lstat(bytes(root + "/outside/secret"))
        #expect(secret.permissions == 0o644 && secret.mtime.seconds != 1_000_000)
        #expect(String(decoding: try fs.readFile(bytes(root + "/outside/secret")), as: UTF8.self) == "secret")
    }
}

/// `openBeneath`, by which the remote sender reads a listed file again: below the root, never through
/// a symlink or "..", with openat2 and with the walk used where the kernel has none.
@Suite("Confined opens below a root", .tags(.medium), .serialized)
struct OpenBeneathTests {
    let fs = PosixFileSystem()

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(arguments: [false, true]) func readsBelowTheRootAndRefusesEveryWayOut(walking: Bool) throws {
        csync_disable_openat2(walking ? 1 : 0)
        defer { csync_disable_openat2(0) }
        var template = Array("/tmp/swsync-beneath.XXXXXX".utf8CString)
        let root = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        defer { _ = system("rm -rf '\(root)'") }
        for directory in ["/src", "/src/a", "/src/a/b", "/outside"] { mkdir(root + directory, 0o755) }
        for (path, text) in [("/src/a/b/f", "inside"), ("/outside/f", "secret"), ("/src/top", "top")] {
            let descriptor = open(root + path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = text.withCString { write(descriptor, $0, strlen($0)) }
            close(descriptor)
        }
        symlink(root + "/outside", root + "/src/a/link")
        symlink("../../outside", root + "/src/a/relative")
        symlink("b/f", root + "/src/a/filelink")
        let handle = try fs.openDirectory(bytes(root + "/src"))

        let file = try fs.openBeneath(bytes("a/b/f"), in: handle)
        #expect(try file.size() == 6 && file.path == bytes(root + "/src/a/b/f"))
        #expect(try fs.openBeneath(bytes("top"), in: handle).size() == 3)
        #expect(try fs.openBeneath(bytes("./a//b/f"), in: handle).size() == 6)
        let refused: [(String, Int32)] = [
            ("a/link/f", ELOOP), ("a/relative/f", ELOOP), ("a/filelink", ELOOP), ("../outside/f", EXDEV),
            ("a/../../outside/f", EXDEV), (root + "/outside/f", EXDEV), ("a/missing/f", ENOENT), ("top/f", ENOTDIR),
        ]
        for (path, expected) in refused {
            do {
                _ = try fs.openBeneath(bytes(path), in: handle)
                Issue.record("\(path) was opened")
            } catch {
                #expect(error.errno == expected, "\(path)")
                #expect(error.isGoneFromListedPlace, "\(path)")
            }
        }
        // The root handle keeps its directory: a renamed root still reads its own files.
        rename(root + "/src", root + "/moved")
        symlink(root + "/outside", root + "/src")
        #expect(try fs.openBeneath(bytes("a/b/f"), in: handle).size() == 6)
    }
}

/// The operator's paths under rsync's rule for symlinks (`csync_open_trusted`): root's and the running
/// user's links are followed, another user's are refused, and `--confine-root` holds what the walk
/// reaches, links resolved.
@Suite("Operator paths", .tags(.medium), .enabled(if: getuid() == 0, "needs root, to own a link as another user"))
struct OperatorPathOpenTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// base/{inside/{real/f, own -> real, planted -> real (nobody), chain -> planted}, outside/f,
    /// inside/out -> ../outside}.
    func tree() throws -> String {
        var template = Array("/tmp/swsync-operator.XXXXXX".utf8CString)
        let base = String(cString: try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }))
        for directory in ["/inside", "/inside/real", "/outside"] { mkdir(base + directory, 0o755) }
        for path in ["/inside/real/f", "/outside/f"] {
            let descriptor = open(base + path, O_WRONLY | O_CREAT, 0o644)
            _ = "data".withCString { write(descriptor, $0, 4) }
            close(descriptor)
        }
        symlink(base + "/inside/real", base + "/inside/own")
        symlink(base + "/inside/real", base + "/inside/planted")
        lchown(base + "/inside/planted", 65534, 65534)
        symlink("planted", base + "/inside/chain")
        symlink("../outside", base + "/inside/out")
        return base
    }

    func refusal(_ body: () throws(SystemCallError) -> Void) -> OperatorPathRefusal? {
        do {
            try body()
            return nil
        } catch {
            #expect(error.errno == ELOOP)
            return error.refusal
        }
    }

    @Test func ownLinksAreFollowedAndAnotherUsersAreRefused() throws {
        let base = try tree()
        defer { _ = system("rm -rf '\(base)'") }
        let fs = PosixFileSystem()
        #expect(try fs.readOperatorFile(bytes(base + "/inside/own/f")) == bytes("data"))
        _ = try fs.openOperatorDirectory(bytes(base + "/inside/own"), confined: true)
        #expect(refusal { () throws(SystemCallError) in _ = try fs.readOperatorFile(bytes(base + "/inside/planted/f")) } == .untrustedSymlink)
        #expect(refusal { () throws(SystemCallError) in _ = try fs.openOperatorDirectory(bytes(base + "/inside/planted"), confined: true) }
            == .untrustedSymlink)
        // A trusted link leading to an untrusted one is refused too.
        #expect(refusal { () throws(SystemCallError) in _ = try fs.readOperatorFile(bytes(base + "/inside/chain/f")) } == .untrustedSymlink)
        // Relative to the current directory, and through "..".
        let cwd = open(".", O_RDONLY | O_DIRECTORY)
        defer { fchdir(cwd); close(cwd) }
        chdir(base + "/inside")
        #expect(try fs.readOperatorFile(bytes("own/../real/f")) == bytes("data"))
        #expect(refusal { () throws(SystemCallError) in _ = try fs.readOperatorFile(bytes("planted/f")) } == .untrustedSymlink)
        // --insecure-links follows it.
        #expect(try PosixFileSystem(trust: SymlinkTrust(followsAnyOwner: true)).readOperatorFile(bytes("planted/f"))
            == bytes("data"))
    }

    @Test func aFileCreatedThroughAPlantedLinkIsNotCreated() throws {
        let base = try tree()
        defer { _ = system("rm -rf '\(base)'") }
        let fs = PosixFileSystem()
        close(try fs.openOperatorFileForAppending(bytes(base + "/inside/own/log")))
        #expect(access(base + "/inside/real/log", F_OK) == 0)
        #expect(refusal { () throws(SystemCallError) in close(try fs.openOperatorFileForAppending(bytes(base + "/inside/planted/new"))) }
            == .untrustedSymlink)
        #expect(access(base + "/inside/real/new", F_OK) != 0)
    }

    @Test func confineRootRefusesWhatLeadsOutsideEvenThroughTrustedLinks() throws {
        let base = try tree()
        defer { _ = system("rm -rf '\(base)'") }
        let fs = PosixFileSystem(trust: SymlinkTrust(confineRoot: bytes(base + "/inside")))
        #expect(try fs.readOperatorFile(bytes(base + "/inside/own/f")) == bytes("data"))
        #expect(refusal { () throws(SystemCallError) in _ = try fs.readOperatorFile(bytes(base + "/inside/out/f")) } == .outsideConfineRoot)
        #expect(refusal { () throws(SystemCallError) in _ = try fs.readOperatorFile(bytes(base + "/inside/../outside/f")) } == .outsideConfineRoot)
        #expect(refusal { () throws(SystemCallError) in _ = try fs.openOperatorDirectory(bytes(base + "/outside"), confined: true) }
            == .outsideConfineRoot)
        // The destination root is not confined (rsync's rule).
        _ = try fs.openOperatorDirectory(bytes(base + "/outside"), confined: false)
    }
}
