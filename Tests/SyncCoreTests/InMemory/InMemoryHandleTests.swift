import Glibc
import SyncCore
import SyncTestSupport
import Testing

/// The in-memory file system's open directories: a handle holds the directory it opened, and the
/// handle-relative calls never follow a symlink at the final component (PosixDirectoryWrites.swift).
@Suite("In-memory directory handles", .tags(.small))
struct InMemoryHandleTests {
    let fs = InMemoryFileSystem()

    init() throws {
        try fs.file("/dst/d/f", "old")
        try fs.directory("/elsewhere")
        try fs.file("/dst/target/inner", "in")
        try fs.symlink("/dst/d/ld", to: "../target")
        try fs.symlink("/dst/d/lf", to: "f")
    }

    static func b(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `/dst/d` renamed away and a symlink to `/elsewhere` put in its place.
    func swapForSymlink() throws {
        try fs.rename(Self.b("/dst/d"), to: Self.b("/dst/moved"))
        try fs.makeSymlink(Self.b("/dst/d"), target: Self.b("/elsewhere"))
    }

    func failure(_ body: () throws(SystemCallError) -> Void) -> SystemCallError? {
        do throws(SystemCallError) {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func writesThroughAHandleStayInTheOpenedDirectoryAfterASwap() throws {
        let handle = try fs.openDirectory(Self.b("/dst/d"))
        try swapForSymlink()
        let at = { (name: String) in FileLocation(Self.b(name), in: handle) }

        try fs.makeDirectory(at("sub"), permissions: 0o755)
        try fs.makeSymlink(at("link"), target: Self.b("f"))
        try fs.makeHardLink(at("hard"), to: at("f"))
        let file = try fs.createFile(at("new"), permissions: 0o644)
        let written = Array("x".utf8).withUnsafeBytes { bytes in
            Result { () throws(SystemCallError) in try file.write(bytes, at: 0) }
        }
        try written.get()
        try fs.rename(at("new"), to: at("renamed"))
        _ = try fs.copyFile(from: Self.b("/dst/target/inner"), toNew: at("copy"), permissions: 0o600, length: nil) {
            _ in true
        }
        try fs.setModificationTime(at("f"), FileTime(seconds: 7))
        try fs.removeFile(at("lf"))

        #expect(try fs.listDirectory(Self.b("/elsewhere")).isEmpty)
        let names = try fs.listDirectory(handle).map { String(decoding: $0, as: UTF8.self) }.sorted()
        #expect(names == ["copy", "f", "hard", "ld", "link", "renamed", "sub"])
        #expect(fs.contents("/dst/moved/renamed") == "x")
        #expect(fs.contents("/dst/moved/copy") == "in")
        #expect(fs.status("/dst/moved/sub")?.kind == .directory)
        #expect(fs.status("/dst/moved/f")?.linkCount == 2)
        #expect(try fs.lstat(Self.b("f"), in: handle).mtime == FileTime(seconds: 7))
        #expect(try fs.readLink(Self.b("link"), in: handle) == Self.b("f"))
        #expect(try fs.stat(Self.b("ld"), in: handle).kind == .directory)
        #expect(!fs.exists("/dst/moved/lf"))
    }

    @Test func aHandleOfAnotherKindFollowsThePath() throws {
        let handle = PathDirectoryHandle(path: Self.b("/dst/d"))
        try swapForSymlink()
        try fs.makeDirectory(FileLocation(Self.b("sub"), in: handle), permissions: 0o755)
        #expect(fs.status("/elsewhere/sub")?.kind == .directory)
        #expect(!fs.exists("/dst/moved/sub"))
    }

    @Test func aSubdirectoryOpenedThroughAHandleIsNotALink() throws {
        let handle = try fs.openDirectory(Self.b("/dst/d"))
        let link = FileLocation(Self.b("ld"), in: handle)
        let refused = failure { () throws(SystemCallError) in _ = try fs.openDirectory(link, followingSymlink: false) }
        #expect(refused?.call == "opendir")
        #expect(refused?.path == Self.b("/dst/d/ld"))
        // O_DIRECTORY | O_NOFOLLOW on a symlink: ENOTDIR on Linux, as on a file.
        #expect(refused?.errno == ENOTDIR)
        let file = failure { () throws(SystemCallError) in
            _ = try fs.openDirectory(FileLocation(Self.b("f"), in: handle), followingSymlink: false)
        }
        #expect(file?.errno == ENOTDIR)
        let followed = try fs.openDirectory(link, followingSymlink: true)
        #expect(try fs.listDirectory(followed) == [Self.b("inner")])
        #expect(followed.path == Self.b("/dst/d/ld"))
    }

    @Test func callsOnALinkAtTheFinalComponentActOnTheLinkOrFail() throws {
        let handle = try fs.openDirectory(Self.b("/dst/d"))
        let link = FileLocation(Self.b("lf"), in: handle)
        let update = failure { () throws(SystemCallError) in _ = try fs.openForUpdate(link) }
        let read = failure { () throws(SystemCallError) in _ = try fs.openForReading(link) }
        let source = failure { () throws(SystemCallError) in _ = try fs.openSource(link, followingSymlink: false) }
        for refused in [update, read, source] {
            #expect(refused?.call == "open")
            #expect(refused?.path == Self.b("/dst/d/lf"))
            #expect(refused?.errno == ELOOP)
        }
        #expect(try fs.openSource(link, followingSymlink: true).size() == 3)
        #expect(
            failure { () throws(SystemCallError) in _ = try fs.createFile(link, permissions: 0o600) }?.errno == EEXIST
        )
        let chmod = failure { () throws(SystemCallError) in try fs.setPermissions(link, 0o600) }
        #expect(chmod?.call == "chmod")
        #expect(chmod?.errno == EOPNOTSUPP)
        #expect(fs.status("/dst/d/f")?.permissions == 0o644)
        try fs.setModificationTime(link, FileTime(seconds: 9))
        #expect(fs.status("/dst/d/lf")?.mtime == FileTime(seconds: 9))
        #expect(fs.status("/dst/d/f")?.mtime != FileTime(seconds: 9))
    }

    @Test func faultsMatchTheEntrysFullPath() throws {
        let handle = try fs.openDirectory(Self.b("/dst/d"))
        fs.inject(.makeDirectory, path: "/dst/d/x", errno: EIO)
        let injected = failure { () throws(SystemCallError) in
            try fs.makeDirectory(FileLocation(Self.b("x"), in: handle), permissions: 0o755)
        }
        #expect(injected?.call == "mkdir")
        #expect(injected?.path == Self.b("/dst/d/x"))
        #expect(injected?.errno == EIO)
        try fs.makeDirectory(FileLocation(Self.b("x"), in: handle), permissions: 0o755)
        #expect(fs.exists("/dst/d/x"))
    }
}
