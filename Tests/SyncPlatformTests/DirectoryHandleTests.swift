import Glibc
import SyncCore
import SyncPlatform
import SyncTestSupport
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
}
