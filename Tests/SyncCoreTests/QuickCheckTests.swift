import SyncTestSupport
import Testing
@testable import SyncCore

@Suite("Quick check and attribute comparison", .tags(.small))
struct QuickCheckTests {
    func status(size: Int64 = 10, seconds: Int64 = 1000, nanos: Int64 = 0, mode: UInt32 = 0o100644) -> FileStatus {
        FileStatus(mode: mode, size: size, mtime: FileTime(seconds: seconds, nanoseconds: nanos), uid: 1, gid: 1,
            device: 1, inode: 1, linkCount: 1, rdev: 0)
    }

    func check(_ configure: (inout SyncOptions) -> Void = { _ in }) -> QuickCheck {
        var options = SyncOptions()
        options.times = true
        configure(&options)
        return QuickCheck(options: options)
    }

    let noChecksums: () -> (FileChecksum?, FileChecksum?) = { (nil, nil) }

    @Test func sameSizeAndSecondIsUnchanged() {
        #expect(check().isUnchanged(source: status(nanos: 5), destination: status(nanos: 9), checksums: noChecksums))
    }

    @Test func sizeOrTimeDifferenceNeedsTransfer() {
        #expect(!check().isUnchanged(source: status(size: 11), destination: status(), checksums: noChecksums))
        #expect(!check().isUnchanged(source: status(seconds: 1001), destination: status(), checksums: noChecksums))
    }

    @Test func sizeOnlyIgnoresTime() {
        let quick = check { $0.sizeOnly = true }
        #expect(quick.isUnchanged(source: status(seconds: 5), destination: status(), checksums: noChecksums))
        #expect(!quick.isUnchanged(source: status(size: 3), destination: status(), checksums: noChecksums))
    }

    @Test func ignoreTimesAlwaysTransfers() {
        #expect(!check { $0.ignoreTimes = true }.isUnchanged(source: status(), destination: status(),
            checksums: noChecksums))
    }

    @Test func modifyWindowAcceptsNearbyTimes() {
        let quick = check { $0.modifyWindow = 2 }
        #expect(quick.isUnchanged(source: status(seconds: 1002), destination: status(), checksums: noChecksums))
        #expect(!quick.isUnchanged(source: status(seconds: 1003), destination: status(), checksums: noChecksums))
        let exact = check { $0.modifyWindow = -1 }
        #expect(!exact.isUnchanged(source: status(nanos: 1), destination: status(), checksums: noChecksums))
    }

    @Test func checksumDecidesWhenSizesMatch() {
        let quick = check { $0.checksum = true }
        let same = FileChecksum(low: 1, high: 2)
        #expect(quick.isUnchanged(source: status(seconds: 5), destination: status(), checksums: { (same, same) }))
        #expect(!quick.isUnchanged(source: status(), destination: status(),
            checksums: { (same, FileChecksum(low: 9, high: 2)) }))
    }

    @Test func updateSkipsOnlyNewerDestinations() {
        let quick = check { $0.update = true }
        #expect(quick.destinationIsNewer(source: FileTime(seconds: 10), destination: FileTime(seconds: 11)))
        #expect(!quick.destinationIsNewer(source: FileTime(seconds: 10), destination: FileTime(seconds: 10)))
        #expect(!quick.destinationIsNewer(source: FileTime(seconds: 12), destination: FileTime(seconds: 11)))
    }

    /// rsync's `-u` test: skipped while the source is less than the window ahead (whole seconds only).
    @Test(arguments: [
        (window: Int64(1), destinationOffset: Int64(0), newer: true), (1, -1, false), (2, -1, true), (2, -2, false),
        (-1, 1, false), (-1, 2, true), (0, 0, false), (0, 1, true),
    ])
    func updateComparesWithTheModifyWindow(window: Int64, destinationOffset: Int64, newer: Bool) {
        let quick = check {
            $0.update = true
            $0.modifyWindow = window
        }
        let source = FileTime(seconds: 100, nanoseconds: 5)
        #expect(quick.destinationIsNewer(source: source, destination: FileTime(seconds: 100 + destinationOffset)) == newer)
    }

    @Test func attributeFlagsFollowPreservedAttributes() {
        var options = SyncOptions()
        options.times = true
        options.perms = true
        let quick = QuickCheck(options: options)
        let entry = FileEntry(name: Array("f".utf8), sourcePath: [], status: status(size: 5, seconds: 2, mode: 0o100755))
        let flags = quick.attributeFlags(source: entry, destination: status(), localChange: false)
        #expect(flags == [.reportSize, .reportTime, .reportPerms])
        let withoutTimes = QuickCheck(options: SyncOptions())
        #expect(withoutTimes.attributeFlags(source: entry, destination: status(), localChange: false) == [.reportSize])
    }

    @Test func permissionsOfNewFilesWithoutPermsUseUmask() {
        var options = SyncOptions()
        options.umask = 0o027
        let quick = QuickCheck(options: options)
        #expect(quick.destinationPermissions(source: status(mode: 0o100777), existing: nil) == 0o750)
        #expect(quick.destinationPermissions(source: status(mode: 0o100777), existing: status(mode: 0o100600)) == 0o600)
        options.executability = true
        let withE = QuickCheck(options: options)
        #expect(withE.destinationPermissions(source: status(mode: 0o100755), existing: status(mode: 0o100644)) == 0o755)
        #expect(withE.destinationPermissions(source: status(mode: 0o100644), existing: status(mode: 0o100755)) == 0o644)
    }
}

@Suite("Paths, order and chmod", .tags(.small))
struct PathAndOrderTests {
    func entry(_ name: String, directory: Bool) -> FileEntry {
        FileEntry(name: Array(name.utf8), sourcePath: [],
            status: FileStatus(mode: directory ? 0o040755 : 0o100644, size: 0, mtime: FileTime(seconds: 0), uid: 0,
                gid: 0, device: 0, inode: 0, linkCount: 1, rdev: 0))
    }

    @Test func filesBeforeDirectoriesAndDirectoriesSortWithSlash() {
        var entries = [entry("a", directory: true), entry("z", directory: false), entry("a.d", directory: true),
            entry("a-e", directory: false), entry("B", directory: false)]
        FileListOrder.sort(&entries)
        #expect(entries.map { String(decoding: $0.name, as: UTF8.self) } == ["B", "a-e", "z", "a.d", "a"])
    }

    @Test(arguments: [
        ("x", "l", false), ("../x", "l", true), ("../x", "d/l", false), ("../../x", "d/l", true), ("/abs", "l", true),
        ("a/../../x", "l", true), ("./a/b", "l", false), ("", "l", true),
        // rsync 3.5: ".." after a name, or at the end after one, is unsafe however deep the link is.
        ("a/a/a/../../../x", "d/l", true), ("a/../x", "d/e/l", true), ("a/..", "d/l", true), ("../..//x", "d/e/l", false),
        ("..//../x", "d/e/l", false), ("..", "d/l", false),
    ])
    func unsafeSymlinks(target: String, link: String, unsafe: Bool) {
        #expect(PathBytes.isUnsafeSymlink(target: Array(target.utf8), linkName: Array(link.utf8)) == unsafe)
    }

    @Test func pathPieces() {
        #expect(PathBytes.join(Array("a".utf8), Array("b".utf8)) == Array("a/b".utf8))
        #expect(PathBytes.join(Array("a/".utf8), Array("b".utf8)) == Array("a/b".utf8))
        #expect(PathBytes.join(Array(".".utf8), Array("b".utf8)) == Array("b".utf8))
        #expect(PathBytes.lastComponent(Array("a/b/c/".utf8)) == Array("c".utf8))
        #expect(PathBytes.parent(Array("a/b/c".utf8)) == Array("a/b".utf8))
        #expect(PathBytes.parent(Array("c".utf8)) == Array(".".utf8))
        #expect(PathBytes.parent(Array("/c".utf8)) == Array("/".utf8))
    }

    @Test(arguments: [
        ("D755,F644", false, UInt32(0o600), UInt32(0o644)), ("D755,F644", true, 0o700, 0o755),
        ("u+x,g-w", false, 0o664, 0o744), ("go=", false, 0o755, 0o700), ("a+rX", false, 0o600, 0o644),
        ("a+rX", true, 0o700, 0o755), ("Fa-w", true, 0o755, 0o755), ("o+t", true, 0o777, 0o1777),
    ])
    func chmodRules(text: String, directory: Bool, mode: UInt32, expected: UInt32) {
        let rules = ChmodRule.parseList(text)
        #expect(rules != nil)
        #expect(ChmodRule.apply(rules ?? [], to: mode, isDirectory: directory) == expected)
    }

    @Test(arguments: ["zz", "D", "u+q", "12345", ""])
    func malformedChmod(text: String) {
        #expect(ChmodRule.parseList(text) == nil)
    }
}
