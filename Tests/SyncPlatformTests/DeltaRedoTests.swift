import Glibc
import SyncTestSupport
import Synchronization
import Testing

@testable import SyncCore
@testable import SyncPlatform

/// rsync's redo pass: a delta whose rebuilt file fails the whole-file check is thrown away and the
/// file is sent whole. The basis here changes under the receiver after its signature was taken (the
/// bytes the patch copies are flipped), which is what a concurrently modified destination looks like.
@Suite("Delta redo on a failed verification", .tags(.medium))
struct DeltaRedoTests {
    /// The real file system, except that reads of `basis` after its first full pass return altered bytes.
    final class ShiftingBasisFileSystem: FileSystem, @unchecked Sendable {
        let real = PosixFileSystem()
        let basis: [UInt8]
        let bytesRead = Atomic<Int>(0)
        let basisSize: Int

        init(basis: [UInt8], size: Int) {
            self.basis = basis
            basisSize = size
        }

        final class AlteredFile: OpenFile {
            let inner: any OpenFile
            let owner: ShiftingBasisFileSystem
            init(_ inner: any OpenFile, owner: ShiftingBasisFileSystem) {
                self.inner = inner
                self.owner = owner
            }
            var path: [UInt8] { inner.path }
            func size() throws(SystemCallError) -> Int64 { try inner.size() }
            func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemCallError) -> Int {
                let count = try inner.read(into: buffer, at: offset)
                let before = owner.bytesRead.add(count, ordering: .relaxed).oldValue
                if before >= owner.basisSize {
                    for i in 0..<count { buffer[i] ^= 0x5a }
                }
                return count
            }
            func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(SystemCallError) {
                try inner.write(bytes, at: offset)
            }
            func truncate(to length: Int64) throws(SystemCallError) { try inner.truncate(to: length) }
        }

        func openForReading(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile {
            let file = try real.openForReading(path)
            return path == basis ? AlteredFile(file, owner: self) : file
        }
        func lstat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus { try real.lstat(path) }
        func stat(_ path: [UInt8]) throws(SystemCallError) -> FileStatus { try real.stat(path) }
        func listDirectory(_ path: [UInt8]) throws(SystemCallError) -> [[UInt8]] { try real.listDirectory(path) }
        func readLink(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try real.readLink(path) }
        func readFile(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try real.readFile(path) }
        func makeDirectory(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) {
            try real.makeDirectory(path, permissions: permissions)
        }
        func makeSymlink(_ path: [UInt8], target: [UInt8]) throws(SystemCallError) {
            try real.makeSymlink(path, target: target)
        }
        func makeHardLink(_ path: [UInt8], to existing: [UInt8]) throws(SystemCallError) {
            try real.makeHardLink(path, to: existing)
        }
        func makeNode(_ path: [UInt8], mode: UInt32, rdev: UInt64) throws(SystemCallError) {
            try real.makeNode(path, mode: mode, rdev: rdev)
        }
        func rename(_ from: [UInt8], to: [UInt8]) throws(SystemCallError) { try real.rename(from, to: to) }
        func removeFile(_ path: [UInt8]) throws(SystemCallError) { try real.removeFile(path) }
        func removeDirectory(_ path: [UInt8]) throws(SystemCallError) { try real.removeDirectory(path) }
        func setPermissions(_ path: [UInt8], _ permissions: UInt32) throws(SystemCallError) {
            try real.setPermissions(path, permissions)
        }
        func setOwner(_ path: [UInt8], uid: UInt32?, gid: UInt32?) throws(SystemCallError) {
            try real.setOwner(path, uid: uid, gid: gid)
        }
        func setModificationTime(_ path: [UInt8], _ time: FileTime) throws(SystemCallError) {
            try real.setModificationTime(path, time)
        }
        func copyFile(from source: [UInt8], toNew temporaryPath: [UInt8], permissions: UInt32, length: Int64?,
            progress: (Int64) -> Bool) throws(SystemCallError) -> Int64
        {
            try real.copyFile(from: source, toNew: temporaryPath, permissions: permissions, length: length, progress: progress)
        }
        func copyFileInPlace(from source: [UInt8], to destination: [UInt8], length: Int64?, progress: (Int64) -> Bool)
            throws(SystemCallError) -> Int64
        {
            try real.copyFileInPlace(from: source, to: destination, length: length, progress: progress)
        }
        func createFile(_ path: [UInt8], permissions: UInt32) throws(SystemCallError) -> any OpenFile {
            try real.createFile(path, permissions: permissions)
        }
        func openForUpdate(_ path: [UInt8]) throws(SystemCallError) -> any OpenFile { try real.openForUpdate(path) }
        func checksum(_ path: [UInt8]) throws(SystemCallError) -> FileChecksum { try real.checksum(path) }
        func isInUseByWriter(_ path: [UInt8]) -> Bool { real.isInUseByWriter(path) }
        func currentDirectory() -> [UInt8] { real.currentDirectory() }
        func resolvedPath(_ path: [UInt8]) throws(SystemCallError) -> [UInt8] { try real.resolvedPath(path) }
    }

    @Test func failedVerificationSendsTheFileWhole() throws {
        var template = Array("/tmp/swsync-redo.XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        let directory = String(cString: try #require(created))
        defer { _ = system("rm -rf '\(directory)'") }
        var random = SplitMix64(seed: 7)
        let old = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        var new = old
        new.replaceSubrange(100_000..<100_100, with: (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        let source = Array((directory + "/source").utf8)
        let destination = Array((directory + "/destination").utf8)
        for (path, bytes) in [(source, new), (destination, old)] {
            let stream = try #require(fopen(String(decoding: path, as: UTF8.self), "w"))
            #expect(bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) } == bytes.count)
            fclose(stream)
        }

        let fs = ShiftingBasisFileSystem(basis: destination, size: old.count)
        var options = SyncOptions()
        options.wholeFile = false
        let receiver = Receiver(fs: fs, options: options, isInterrupted: { false })
        let job = Receiver<ShiftingBasisFileSystem>.WriteJob(
            source: source, destination: destination, location: FileLocation(path: destination), name: Array("destination".utf8), permissions: 0o644,
            uid: nil, gid: nil, mtime: nil, existing: try fs.lstat(destination),
            basis: DeltaBasis(path: destination, location: FileLocation(path: destination), isDestination: true))
        let result = try receiver.write(job, progress: { _ in })

        #expect(result.notices.contains { $0.contains("failed verification -- update discarded") })
        #expect(result.warnings.isEmpty)
        #expect(result.bytes == Int64(new.count))  // sent whole the second time
        #expect(try PosixFileSystem().readFile(destination) == new)

        // Through the generator: the redo is a notice, not an error, so the run still ends with 0.
        try PosixFileSystem().removeFile(destination)
        let stream = try #require(fopen(String(decoding: destination, as: UTF8.self), "w"))
        #expect(old.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, stream) } == old.count)
        fclose(stream)
        let again = ShiftingBasisFileSystem(basis: destination, size: old.count)
        options.ignoreTimes = true
        options.verbose = 1
        let observer = RecordingObserver()
        let generator = Generator(fs: again, options: options, observer: observer)
        try generator.run(tree: SourceTree(arguments: [source], relative: false), destination: destination)
        #expect(generator.exitStatus == .success)
        #expect(observer.errors.contains { $0.contains("failed verification -- update discarded") })
        #expect(try PosixFileSystem().readFile(destination) == new)
    }
}

/// Keeps what the generator reports.
final class RecordingObserver: TransferObserver, @unchecked Sendable {
    var errors: [String] = []
    func report(_ item: ItemizedChange) {}
    func reportDeletion(name: [UInt8], kind: FileKind) {}
    func info(_ text: String) {}
    func error(_ text: String, role: Role?) { errors.append(text) }
    func transferStarted(name: [UInt8], size: Int64) {}
    func transferProgress(bytes: Int64) {}
    func transferFinished(bytes: Int64) {}
    var isInterrupted: Bool { false }
    var interruptCheck: @Sendable () -> Bool { { false } }
}

