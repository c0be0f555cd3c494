import Glibc
import SyncCore
import SyncPlatform
import SyncTestSupport
import Testing

/// The in-memory file system the small tests run on against the real one: the same calls on the same
/// tree, in a temp directory and in memory, must succeed or fail alike, with the same call name, errno,
/// text and copy stage, so that a small test's expectation holds on a real disk.
@Suite("In-memory file system against PosixFileSystem", .tags(.medium))
struct InMemoryFileSystemConformanceTests {
    /// One call, by name, on a file system rooted at `root`.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var call: @Sendable (any FileSystem, _ root: String) throws(SystemCallError) -> String

        var testDescription: String { name }

        init(name: String, call: @escaping @Sendable (any FileSystem, String) throws(SystemCallError) -> String) {
            self.name = name
            self.call = call
        }

        /// A call whose outcome is only whether it failed, and how.
        init(_ name: String, effect: @escaping @Sendable (any FileSystem, String) throws(SystemCallError) -> Void) {
            self.name = name
            self.call = { fs, root throws(SystemCallError) in
                try effect(fs, root)
                return "done"
            }
        }
    }

    static func p(_ root: String, _ path: String) -> [UInt8] { Array((root + "/" + path).utf8) }

    /// The entry `name` of the directory `directory` (below `root`), through a handle opened on it.
    static func at(
        _ fs: any FileSystem,
        _ root: String,
        _ name: String,
        in directory: String = "."
    )
        throws(SystemCallError) -> FileLocation
    {
        FileLocation(Array(name.utf8), in: try fs.openDirectory(p(root, directory)))
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static let cases: [Case] = pathCases + handleCases

    /// The handle-relative calls: the final component is never followed when it is a symlink.
    static let handleCases: [Case] = [
        Case(name: "opendir of a file") { fs, r throws(SystemCallError) in
            "\(try fs.openDirectory(p(r, "f")).path.count > 0)"
        },
        Case(name: "list through a handle") { fs, r throws(SystemCallError) in
            "\(try fs.listDirectory(try fs.openDirectory(p(r, "d"))).map(text))"
        },
        Case(name: "lstat in a handle of a missing name") { fs, r throws(SystemCallError) in
            "\(try fs.lstat(Array("missing".utf8), in: try fs.openDirectory(p(r, "."))).kind)"
        },
        Case(name: "stat in a handle through a link") { fs, r throws(SystemCallError) in
            "\(try fs.stat(Array("l".utf8), in: try fs.openDirectory(p(r, "."))).size)"
        },
        Case(name: "readlink in a handle of a file") { fs, r throws(SystemCallError) in
            text(try fs.readLink(Array("f".utf8), in: try fs.openDirectory(p(r, "."))))
        },
        Case("openat of a link to a directory") { fs, r throws(SystemCallError) in
            _ = try fs.openDirectory(try at(fs, r, "ld"), followingSymlink: false)
        },
        Case("openat of a file as a directory") { fs, r throws(SystemCallError) in
            _ = try fs.openDirectory(try at(fs, r, "f"), followingSymlink: false)
        },
        Case("openat of a dangling link") { fs, r throws(SystemCallError) in
            _ = try fs.openDirectory(try at(fs, r, "dl"), followingSymlink: true)
        },
        Case(name: "openat following a link to a directory") { fs, r throws(SystemCallError) in
            "\(try fs.listDirectory(try fs.openDirectory(try at(fs, r, "ld"), followingSymlink: true)).map(text))"
        },
        Case("mkdirat over a dangling link") { fs, r throws(SystemCallError) in
            try fs.makeDirectory(try at(fs, r, "dl"), permissions: 0o755)
        },
        Case("mkdirat in a removed directory") { fs, r throws(SystemCallError) in
            let location = try at(fs, r, "x", in: "e")
            try fs.removeDirectory(p(r, "e"))
            try fs.makeDirectory(location, permissions: 0o755)
        },
        Case("symlinkat over a file") { fs, r throws(SystemCallError) in
            try fs.makeSymlink(try at(fs, r, "f"), target: Array("x".utf8))
        },
        Case("linkat to a directory") { fs, r throws(SystemCallError) in
            try fs.makeHardLink(try at(fs, r, "new"), to: try at(fs, r, "d"))
        },
        Case(name: "linkat to a symlink links the symlink") { fs, r throws(SystemCallError) in
            try fs.makeHardLink(try at(fs, r, "new", in: "d"), to: try at(fs, r, "l"))
            return "\(try fs.lstat(p(r, "d/new")).kind) \(try fs.lstat(p(r, "l")).linkCount)"
        },
        Case("mknodat of a fifo over a file") { fs, r throws(SystemCallError) in
            try fs.makeNode(try at(fs, r, "f"), mode: 0o010644, rdev: 0)
        },
        Case("renameat a directory over a file") { fs, r throws(SystemCallError) in
            try fs.rename(try at(fs, r, "e"), to: try at(fs, r, "f"))
        },
        Case(name: "renameat a symlink into another directory") { fs, r throws(SystemCallError) in
            try fs.rename(try at(fs, r, "ld"), to: try at(fs, r, "moved", in: "e"))
            return "\(try fs.lstat(p(r, "e/moved")).kind)"
        },
        Case("unlinkat a directory") { fs, r throws(SystemCallError) in try fs.removeFile(try at(fs, r, "d")) },
        Case("rmdirat a link to a directory") { fs, r throws(SystemCallError) in
            try fs.removeDirectory(try at(fs, r, "ld"))
        },
        Case("rmdirat a full directory") { fs, r throws(SystemCallError) in
            try fs.removeDirectory(try at(fs, r, "d"))
        },
        Case("chmodat of a symlink") { fs, r throws(SystemCallError) in
            try fs.setPermissions(try at(fs, r, "l"), 0o600)
        },
        Case(name: "chmodat of a file") { fs, r throws(SystemCallError) in
            try fs.setPermissions(try at(fs, r, "f"), 0o600)
            return String(try fs.lstat(p(r, "f")).permissions, radix: 8)
        },
        Case("lchownat of a missing name") { fs, r throws(SystemCallError) in
            try fs.setOwner(try at(fs, r, "missing"), uid: nil, gid: nil)
        },
        Case(name: "utimensat at a symlink") { fs, r throws(SystemCallError) in
            try fs.setModificationTime(try at(fs, r, "l"), FileTime(seconds: 1, nanoseconds: 5))
            let link = try fs.lstat(p(r, "l")).mtime
            return "\(link.seconds).\(link.nanoseconds) \(try fs.lstat(p(r, "f")).mtime.seconds != 1)"
        },
        Case(name: "openat to update a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.openForUpdate(try at(fs, r, "l")).size())"
        },
        Case(name: "openat to read a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.openForReading(try at(fs, r, "l")).size())"
        },
        Case(name: "openat to update a directory") { fs, r throws(SystemCallError) in
            "\(try fs.openForUpdate(try at(fs, r, "d")).size())"
        },
        Case(name: "openat to create over a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.createFile(try at(fs, r, "dl"), permissions: 0o600).size())"
        },
        Case(name: "open a source that is a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.openSource(try at(fs, r, "l"), followingSymlink: false).size())"
        },
        Case(name: "open a source through a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.openSource(try at(fs, r, "l"), followingSymlink: true).size())"
        },
        Case(name: "copy to a new name in a handle") { fs, r throws(SystemCallError) in
            let copied = try fs.copyFile(
                from: p(r, "f"),
                toNew: try at(fs, r, "new", in: "d"),
                permissions: 0o640,
                length: nil,
                progress: { _ in true }
            )
            return "\(copied) \(String(try fs.lstat(p(r, "d/new")).permissions, radix: 8))"
        },
        Case(name: "copy to a dangling link in a handle") { fs, r throws(SystemCallError) in
            "\(try fs.copyFile(from: p(r, "f"), toNew: try at(fs, r, "dl"), permissions: 0o600, length: nil, progress: { _ in true }))"
        },
        Case(name: "copy from an open source, short") { fs, r throws(SystemCallError) in
            let source = try fs.openSource(try at(fs, r, "f"), followingSymlink: false)
            let copied = try? fs.copyFile(
                from: source,
                toNew: try at(fs, r, "new"),
                permissions: 0o600,
                length: 99,
                progress: { _ in true }
            )
            return "\(copied ?? -1) \((try? fs.lstat(p(r, "new"))) == nil)"
        },
        Case(name: "copy in place over a symlink") { fs, r throws(SystemCallError) in
            "\(try fs.copyFileInPlace(from: p(r, "d/inner"), to: try at(fs, r, "l"), length: nil, progress: { _ in true }))"
        },
        Case(name: "copy in place from an open source") { fs, r throws(SystemCallError) in
            let source = try fs.openForReading(try at(fs, r, "inner", in: "d"))
            let copied = try fs.copyFileInPlace(
                from: source,
                to: try at(fs, r, "f"),
                length: nil,
                progress: { _ in true }
            )
            return "\(copied) \(text(try fs.readFile(p(r, "f"))))"
        },
        Case(name: "in use at a symlink") { fs, r throws(SystemCallError) in "\(fs.isInUseByWriter(try at(fs, r, "l")))"
        },
        Case(name: "writes through a handle after its path is swapped for a link") { fs, r throws(SystemCallError) in
            let handle = try fs.openDirectory(p(r, "d"))
            try fs.rename(p(r, "d"), to: p(r, "moved"))
            try fs.makeSymlink(p(r, "d"), target: Array("e".utf8))
            try fs.makeDirectory(FileLocation(Array("x".utf8), in: handle), permissions: 0o755)
            try fs.rename(FileLocation(Array("inner".utf8), in: handle), to: FileLocation(Array("y".utf8), in: handle))
            let listed = try fs.listDirectory(handle).map(text).sorted()
            return "\(listed) \(try fs.listDirectory(p(r, "e")).count) \(try fs.lstat(p(r, "moved/x")).kind)"
        },
    ]

    static let pathCases: [Case] = [
        Case(name: "lstat of a missing name") { fs, r throws(SystemCallError) in
            "\(try fs.lstat(p(r, "missing")).kind)"
        },
        Case(name: "lstat through a file") { fs, r throws(SystemCallError) in "\(try fs.lstat(p(r, "f/x")).kind)" },
        Case(name: "lstat of a dangling link") { fs, r throws(SystemCallError) in "\(try fs.lstat(p(r, "dl")).kind)" },
        Case(name: "stat of a dangling link") { fs, r throws(SystemCallError) in "\(try fs.stat(p(r, "dl")).kind)" },
        Case(name: "stat through a link") { fs, r throws(SystemCallError) in "\(try fs.stat(p(r, "l")).size)" },
        Case(name: "stat of a directory with a slash") { fs, r throws(SystemCallError) in
            "\(try fs.stat(p(r, "d/")).kind)"
        },
        Case(name: "readlink of a file") { fs, r throws(SystemCallError) in
            String(decoding: try fs.readLink(p(r, "f")), as: UTF8.self)
        },
        Case(name: "readlink") { fs, r throws(SystemCallError) in
            String(decoding: try fs.readLink(p(r, "l")), as: UTF8.self)
        },
        Case(name: "list a file") { fs, r throws(SystemCallError) in "\(try fs.listDirectory(p(r, "f")).count)" },
        Case(name: "list through a link to a directory") { fs, r throws(SystemCallError) in
            "\(try fs.listDirectory(p(r, "ld")).count)"
        },
        Case("mkdir over a directory") { fs, r throws(SystemCallError) in
            try fs.makeDirectory(p(r, "d"), permissions: 0o755)
        },
        Case("mkdir over a dangling link") { fs, r throws(SystemCallError) in
            try fs.makeDirectory(p(r, "dl"), permissions: 0o755)
        },
        Case("mkdir in a missing directory") { fs, r throws(SystemCallError) in
            try fs.makeDirectory(p(r, "missing/x"), permissions: 0o755)
        },
        Case(name: "mkdir with the umask") { fs, r throws(SystemCallError) in
            try fs.makeDirectory(p(r, "new"), permissions: 0o777)
            return String(try fs.lstat(p(r, "new")).permissions, radix: 8)
        },
        Case("symlink over a file") { fs, r throws(SystemCallError) in
            try fs.makeSymlink(p(r, "f"), target: Array("x".utf8))
        },
        Case("link to a directory") { fs, r throws(SystemCallError) in try fs.makeHardLink(p(r, "new"), to: p(r, "d"))
        },
        Case("link to a missing file") { fs, r throws(SystemCallError) in
            try fs.makeHardLink(p(r, "new"), to: p(r, "missing"))
        },
        Case("link over a file") { fs, r throws(SystemCallError) in try fs.makeHardLink(p(r, "f"), to: p(r, "d/inner"))
        },
        Case(name: "link counts") { fs, r throws(SystemCallError) in
            try fs.makeHardLink(p(r, "new"), to: p(r, "f"))
            return "\(try fs.lstat(p(r, "f")).linkCount) \(try fs.lstat(p(r, "d")).linkCount)"
        },
        Case(name: "link to a symlink links the symlink") { fs, r throws(SystemCallError) in
            try fs.makeHardLink(p(r, "new"), to: p(r, "l"))
            return "\(try fs.lstat(p(r, "new")).kind)"
        },
        Case("rename a file over a directory") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "f"), to: p(r, "e"))
        },
        Case("rename a directory over a file") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "e"), to: p(r, "f"))
        },
        Case("rename a directory over a full one") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "e"), to: p(r, "d"))
        },
        Case(name: "rename a directory over an empty one") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "d"), to: p(r, "e"))
            return "\(try fs.listDirectory(p(r, "e")).count)"
        },
        Case("rename a directory into itself") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "d"), to: p(r, "d/sub"))
        },
        Case("rename a missing name") { fs, r throws(SystemCallError) in try fs.rename(p(r, "missing"), to: p(r, "x"))
        },
        Case(name: "rename over a file replaces it") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "d/inner"), to: p(r, "f"))
            return String(decoding: try fs.readFile(p(r, "f")), as: UTF8.self)
        },
        Case(name: "rename a symlink, not its target") { fs, r throws(SystemCallError) in
            try fs.rename(p(r, "l"), to: p(r, "moved"))
            return "\(try fs.lstat(p(r, "moved")).kind) \(try fs.lstat(p(r, "f")).kind)"
        },
        Case("unlink a directory") { fs, r throws(SystemCallError) in try fs.removeFile(p(r, "d")) },
        Case("unlink a missing name") { fs, r throws(SystemCallError) in try fs.removeFile(p(r, "missing")) },
        Case("rmdir a file") { fs, r throws(SystemCallError) in try fs.removeDirectory(p(r, "f")) },
        Case("rmdir a full directory") { fs, r throws(SystemCallError) in try fs.removeDirectory(p(r, "d")) },
        Case("rmdir a link to a directory") { fs, r throws(SystemCallError) in try fs.removeDirectory(p(r, "ld")) },
        Case(name: "open a missing file") { fs, r throws(SystemCallError) in
            "\(try fs.openForReading(p(r, "missing")).size())"
        },
        Case(name: "create over a file") { fs, r throws(SystemCallError) in
            "\(try fs.createFile(p(r, "f"), permissions: 0o600).size())"
        },
        Case(name: "create through a dangling link") { fs, r throws(SystemCallError) in
            "\(try fs.createFile(p(r, "dl"), permissions: 0o600).size())"
        },
        Case(name: "open a directory to update") { fs, r throws(SystemCallError) in
            "\(try fs.openForUpdate(p(r, "d")).size())"
        },
        Case(name: "read a directory") { fs, r throws(SystemCallError) in "\(try fs.readFile(p(r, "d")).count)" },
        Case(name: "write through a read-only handle") { fs, r throws(SystemCallError) in
            let file = try fs.openForReading(p(r, "f"))
            let result = [UInt8](repeating: 1, count: 1).withUnsafeBytes { bytes in
                Result { () throws(SystemCallError) in try file.write(bytes, at: 0) }
            }
            try result.get()
            return "written"
        },
        Case(name: "positioned writes and truncate") { fs, r throws(SystemCallError) in
            let file = try fs.openForUpdate(p(r, "f"))
            let result = Array("XY".utf8).withUnsafeBytes { bytes in
                Result { () throws(SystemCallError) in try file.write(bytes, at: 6) }
            }
            try result.get()
            try file.truncate(to: 7)
            return "\(try fs.readFile(p(r, "f")))"
        },
        Case(name: "copy exactly the listed length") { fs, r throws(SystemCallError) in
            let copied = try fs.copyFile(
                from: p(r, "f"),
                toNew: p(r, "new"),
                permissions: 0o640,
                length: 2,
                progress: { _ in true }
            )
            let status = try fs.lstat(p(r, "new"))
            return "\(copied) \(status.size) \(String(status.permissions, radix: 8))"
        },
        Case(name: "copy a source shorter than listed") { fs, r throws(SystemCallError) in
            "\(try fs.copyFile(from: p(r, "f"), toNew: p(r, "new"), permissions: 0o600, length: 99, progress: { _ in true }))"
        },
        Case(name: "a failed copy leaves no temp file") { fs, r throws(SystemCallError) in
            _ = try? fs.copyFile(
                from: p(r, "f"),
                toNew: p(r, "new"),
                permissions: 0o600,
                length: 99,
                progress: { _ in true }
            )
            return "\((try? fs.lstat(p(r, "new"))) == nil)"
        },
        Case(name: "copy to an existing name") { fs, r throws(SystemCallError) in
            "\(try fs.copyFile(from: p(r, "f"), toNew: p(r, "d/inner"), permissions: 0o600, length: nil, progress: { _ in true }))"
        },
        Case(name: "copy a missing source") { fs, r throws(SystemCallError) in
            "\(try fs.copyFile(from: p(r, "missing"), toNew: p(r, "new"), permissions: 0o600, length: nil, progress: { _ in true }))"
        },
        Case(name: "copy in place truncates") { fs, r throws(SystemCallError) in
            let copied = try fs.copyFileInPlace(
                from: p(r, "d/inner"),
                to: p(r, "f"),
                length: nil,
                progress: { _ in true }
            )
            return "\(copied) \(String(decoding: try fs.readFile(p(r, "f")), as: UTF8.self))"
        },
        Case(name: "checksum") { fs, r throws(SystemCallError) in
            let sum = try fs.checksum(p(r, "f"))
            return String(sum.low, radix: 16) + String(sum.high, radix: 16)
        },
        Case(name: "realpath of a dangling link") { fs, r throws(SystemCallError) in
            String(decoding: try fs.resolvedPath(p(r, "dl")), as: UTF8.self)
        },
        Case("utimensat of a missing name") { fs, r throws(SystemCallError) in
            try fs.setModificationTime(p(r, "missing"), FileTime(seconds: 1))
        },
        Case(name: "utimensat of a symlink") { fs, r throws(SystemCallError) in
            try fs.setModificationTime(p(r, "l"), FileTime(seconds: 1, nanoseconds: 5))
            let link = try fs.lstat(p(r, "l")).mtime
            return "\(link.seconds).\(link.nanoseconds) \(try fs.lstat(p(r, "f")).mtime.seconds != 1)"
        },
        Case(name: "chmod follows a symlink") { fs, r throws(SystemCallError) in
            try fs.setPermissions(p(r, "l"), 0o600)
            return String(try fs.lstat(p(r, "f")).permissions, radix: 8)
        },
    ]

    /// The same tree on both: f ("hello!"), d/inner ("in"), e/, l -> f, dl -> nowhere, ld -> d.
    static func build(_ fs: any FileSystem, _ r: String) throws(SystemCallError) {
        try fs.makeDirectory(p(r, "d"), permissions: 0o755)
        try fs.makeDirectory(p(r, "e"), permissions: 0o755)
        for (name, text) in [("f", "hello!"), ("d/inner", "in")] {
            let file = try fs.createFile(p(r, name), permissions: 0o644)
            let result = Array(text.utf8).withUnsafeBytes { bytes in
                Result { () throws(SystemCallError) in try file.write(bytes, at: 0) }
            }
            try result.get()
        }
        try fs.makeSymlink(p(r, "l"), target: Array("f".utf8))
        try fs.makeSymlink(p(r, "dl"), target: Array("nowhere".utf8))
        try fs.makeSymlink(p(r, "ld"), target: Array("d".utf8))
    }

    /// The process's umask, read without changing it (umask(2) would, for every test running at once).
    static func processUmask() throws -> UInt32 {
        let status = String(decoding: try PosixFileSystem().readFile(Array("/proc/self/status".utf8)), as: UTF8.self)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(UInt32(line.dropFirst("Umask:".count).trimmingPrefix(while: \.isWhitespace), radix: 8))
    }

    /// The outcome, with `root` taken out of paths so both sides read the same.
    static func outcome(_ testCase: Case, on fs: any FileSystem, root: String) -> String {
        do throws(SystemCallError) {
            return "ok " + (try testCase.call(fs, root)).replacingRoot(root)
        } catch {
            let path = String(decoding: error.path, as: UTF8.self).replacingRoot(root)
            return "\(error.call) \(path): \(error.errnoText) (\(error.errno)) \(error.stage.map { "\($0)" } ?? "")"
        }
    }

    @Test(arguments: cases)
    func sameOutcome(_ testCase: Case) throws {
        var template = Array("/tmp/swsync-conformance.XXXXXX".utf8CString)
        let root = try #require(
            template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map {
                String(cString: $0)
            }
        )
        defer { _ = system("rm -rf '\(root)'") }
        let posix = PosixFileSystem()
        let memory = InMemoryFileSystem(umask: try Self.processUmask())
        try Self.build(posix, root)
        try memory.makeDirectory(Array("/r".utf8), permissions: 0o700)
        try Self.build(memory, "/r")
        #expect(Self.outcome(testCase, on: memory, root: "/r") == Self.outcome(testCase, on: posix, root: root))
    }
}

extension String {
    fileprivate func replacingRoot(_ root: String) -> String { replacing(root, with: "ROOT") }
}
