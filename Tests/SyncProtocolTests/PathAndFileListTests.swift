import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

@Suite("Receiver path checks", .tags(.small))
struct PathValidationTests {
    static let hostile: [[UInt8]] = [
        Array("../x".utf8), Array("/etc/passwd".utf8), Array("a/../../b".utf8), Array("a\0b".utf8), [],
        Array(".".utf8), Array("..".utf8), Array("a/./b".utf8), Array("a//b".utf8), Array("a/".utf8),
        Array("a/..".utf8), Array("//x".utf8), [UInt8](repeating: 0x61, count: 256),
        Array((0..<1100).map { _ in Array("abc/".utf8) }.joined()) + [0x61],
    ]

    @Test(arguments: hostile)
    func hostileNamesAreRefused(name: [UInt8]) {
        expectProtocolError(.unsafePath) { try PathValidation.validateRelativePath(name) }
        expectProtocolError(.unsafePath) { try PathValidation.validateComponent(name) }
    }

    @Test(arguments: ["a", "a/b/c", "...", "..a", "a..", ".hidden", "a/.b", "na\u{ef}ve", "sp ace/tab\t"])
    func ordinaryNamesPass(name: String) throws {
        try PathValidation.validateRelativePath(Array(name.utf8))
    }

    @Test func rootAndComponentsAndTargets() throws {
        try PathValidation.validateRelativePath(Array(".".utf8), allowsRoot: true)
        expectProtocolError(.unsafePath) { try PathValidation.validateComponent(Array("a/b".utf8)) }
        try PathValidation.validateComponent([UInt8](repeating: 0x61, count: 255))
        try PathValidation.validateRelativePath([UInt8](repeating: 0x61, count: 255) + [0x2F] + [UInt8](repeating: 0x62, count: 255))
        // Symlink targets may be absolute or climb; only NUL, empty and length are refused.
        try PathValidation.validateSymlinkTarget(Array("/etc/passwd".utf8))
        try PathValidation.validateSymlinkTarget(Array("../../x".utf8))
        expectProtocolError(.unsafePath) { try PathValidation.validateSymlinkTarget([]) }
        expectProtocolError(.unsafePath) { try PathValidation.validateSymlinkTarget(Array("a\0b".utf8)) }
        expectProtocolError(.unsafePath) { try PathValidation.validateSymlinkTarget([UInt8](repeating: 0x61, count: 4097)) }
    }

    /// Mode 0 is a missing named source (`--delete-missing-args`): accepted among the root's names, a
    /// malformed entry anywhere else.
    @Test func missingEntriesOnlyAmongTheNamedSources() throws {
        let missing = WireFileEntry(name: Array("gone".utf8), mode: 0, mtime: FileTime(seconds: 0))
        let root = Message.fileListChunk(FileListChunk(directoryIndex: nil, entries: [missing]))
        guard case .fileListChunk(let decoded) = try Message.decode(type: .fileListChunk, payload: root.encodePayload()) else {
            Issue.record("not a chunk")
            return
        }
        #expect(decoded.entries.first?.mode == 0)
        let sub = Message.fileListChunk(FileListChunk(directoryIndex: 0, entries: [missing]))
        do {
            _ = try Message.decode(type: .fileListChunk, payload: sub.encodePayload())
            Issue.record("a missing entry below the root was accepted")
        } catch {
            #expect(error.code == .malformed, "\(error)")
        }
    }

    @Test func hostileNamesInsideAFileListChunk() {
        for name in Self.hostile where !name.isEmpty {
            let root = Message.fileListChunk(FileListChunk(directoryIndex: nil,
                entries: [WireFileEntry(name: name, mode: regular, mtime: FileTime(seconds: 0))]))
            let sub = Message.fileListChunk(FileListChunk(directoryIndex: 0,
                entries: [WireFileEntry(name: name, mode: regular, mtime: FileTime(seconds: 0))]))
            for message in [root, sub] {
                do {
                    _ = try Message.decode(type: .fileListChunk, payload: message.encodePayload())
                    Issue.record("accepted \(name.prefix(20))")
                } catch {
                    // "." as a regular file is malformed rather than unsafe.
                    #expect([.unsafePath, .limitExceeded, .malformed].contains(error.code), "\(error)")
                    #expect(error.syncError.status == .streamIO)
                }
            }
        }
    }
}

@Suite("File list", .tags(.small))
struct FileListTests {
    @Test func prefixCompressionSavesBytes() throws {
        let names = (0..<100).map { "photo-2024-06-\(1000 + $0).jpg" }
        let chunk = FileListChunk(directoryIndex: 3, entries: names.map { entry($0, regular, size: 1) })
        let payload = Message.fileListChunk(chunk).encodePayload()
        var unshared = PayloadWriter()
        for e in chunk.entries { FileListCodec.encode(e, after: [], accessTimes: false, into: &unshared) }
        #expect(payload.count + 100 * 15 < unshared.bytes.count)
        #expect(try Message.decode(type: .fileListChunk, payload: payload) == .fileListChunk(chunk))
    }

    @Test func fromFileEntry() {
        var status = FileStatus(mode: 0o120777, size: 11, mtime: FileTime(seconds: 5, nanoseconds: 6), uid: 1, gid: 2,
            device: 9, inode: 9, linkCount: 2, rdev: 77)
        let link = WireFileEntry(FileEntry(name: Array("d/l".utf8), sourcePath: [], status: status,
            symlinkTarget: Array("target".utf8)), name: Array("l".utf8), hardLinkGroup: 4)
        #expect(link.symlinkTarget == Array("target".utf8) && link.size == 0 && link.rdev == 0 && link.hardLinkGroup == 4)
        status.mode = 0o040755
        let dir = WireFileEntry(FileEntry(name: [], sourcePath: [], status: status), name: Array("d".utf8), hardLinkGroup: 4)
        #expect(dir.hardLinkGroup == nil && dir.status.kind == .directory)
    }

    @Test func badEntries() {
        func chunk(_ build: (inout PayloadWriter) -> Void) -> [UInt8] {
            var w = PayloadWriter()
            w.varint(1)
            w.byte(0)
            w.varint(1)
            build(&w)
            return w.bytes
        }
        func plain(_ w: inout PayloadWriter, flags: UInt8 = 0, mode: UInt32 = regular) {
            w.byte(flags)
            w.varint(0)
            w.blob(Array("f".utf8))
            w.varint(UInt64(mode))
            if mode & 0o170000 == 0o100000 || mode & 0o170000 == 0o040000 { w.varint(1) }
            w.signedVarint(0)
        }
        let cases: [([UInt8], ProtocolError.Code)] = [
            (chunk { plain(&$0, flags: 0x80); $0.varint(0); $0.varint(0); $0.byte(0x04) }, .malformed),  // ACL presence
            (chunk { plain(&$0, mode: 0o070644); $0.varint(0); $0.varint(0) }, .malformed),  // unknown type bits
            (chunk { plain(&$0, mode: 0o1100644); $0.varint(0); $0.varint(0) }, .malformed),
            (chunk { plain(&$0, flags: 0x02); $0.varint(0); $0.varint(0) }, .malformed),  // implied on a file
            (chunk { plain(&$0, flags: 0x04); $0.varint(0); $0.varint(0); $0.varint(0) }, .malformed),
            (chunk { plain(&$0, flags: 0x04); $0.varint(1_000_000_000); $0.varint(0); $0.varint(0) }, .limitExceeded),
            (chunk { plain(&$0); $0.varint(1 << 32); $0.varint(0) }, .limitExceeded),  // uid
            (chunk { $0.byte(0); $0.varint(1); $0.blob([0x61]); $0.raw([0, 0, 0, 0]) }, .limitExceeded),  // shares with no previous name
            (chunk { $0.byte(0); $0.varint(0); $0.varint(5000); $0.raw([0, 0, 0, 0]) }, .limitExceeded),
            (chunk { plain(&$0, mode: 0o120777); $0.varint(0); $0.varint(0); $0.varint(0) }, .unsafePath),
            (chunk { plain(&$0, mode: 0o120777); $0.varint(0); $0.varint(0); $0.varint(5000) }, .limitExceeded),
            (chunk { plain(&$0, flags: 0x01, mode: directory); $0.varint(0); $0.varint(0); $0.varint(1) }, .malformed),
            ([1, 0x20, 0], .malformed),  // chunk flags (0x10 is -U's atimes)
            ([1, 0x08, 0], .malformed),  // several-sources flag on a directory chunk
            (chunk { plain(&$0, flags: 0x08); $0.varint(0); $0.varint(0) }, .malformed),  // descends flag on a file
            ([1, 0, 0x80, 0x80, 0x08], .limitExceeded),  // 131072 entries
            ([1, 0, 100, 0, 0], .truncated),  // more entries than bytes
            ([0, 0, 1, 0, 0, 1, 0x2E, 0x80, 0x81, 0x02, 0, 0, 0, 0], .malformed),  // "." as a regular file... mode 0o100600
        ]
        for (payload, code) in cases {
            expectProtocolError(code) { _ = try Message.decode(type: .fileListChunk, payload: payload) }
        }
    }

    @Test func trackerResolvesPathsAndIndices() throws {
        var tracker = FileListTracker()
        let root = try tracker.accept(FileListChunk(directoryIndex: nil,
            entries: [entry(".", directory), entry("top.txt", regular)]))
        #expect(root.map(\.index) == [0, 1] && root[1].path == Array("top.txt".utf8))
        let first = try tracker.accept(FileListChunk(directoryIndex: 0, continues: true,
            entries: [entry("b", regular), entry("c", regular)]))
        let second = try tracker.accept(FileListChunk(directoryIndex: 0,
            entries: [entry("d", regular), entry("a-", directory), entry("a", directory)]))
        #expect(first.map(\.index) == [2, 3] && second.map(\.index) == [4, 5, 6])
        let sub = try tracker.accept(FileListChunk(directoryIndex: 6, entries: [entry("x", regular)]))
        #expect(sub[0].path == Array("a/x".utf8) && sub[0].index == 7)
        try tracker.checkRegularFile(7)
        expectProtocolError(.outOfSequence) { try tracker.checkRegularFile(6) }
        expectProtocolError(.outOfSequence) { try tracker.checkRegularFile(8) }
        try tracker.finish()
        #expect(tracker.isComplete && tracker.count == 8)
        expectProtocolError(.outOfSequence) { _ = try tracker.accept(FileListChunk(directoryIndex: 5, entries: [])) }
    }

    /// `--iconv`: names come in the sender's charset's order (their UTF-8 bytes may be in any order), still
    /// non-directories first and never one name twice.
    @Test func trackerTakesTheSendersOrderUnderIconv() throws {
        func accepts(_ entries: [WireFileEntry]) -> Bool {
            var tracker = FileListTracker(sendersOrder: true)
            guard (try? tracker.accept(FileListChunk(directoryIndex: nil, entries: [entry(".", directory),
                entry("d", directory)]))) != nil else { return false }
            return (try? tracker.accept(FileListChunk(directoryIndex: 1, entries: entries))) != nil
        }
        #expect(accepts([entry("b", regular), entry("a", regular), entry("z", directory), entry("y", directory)]))
        #expect(!accepts([entry("a", regular), entry("a", regular)]))
        #expect(!accepts([entry("a", regular), entry("a", directory)]))
        #expect(!accepts([entry("d", directory), entry("f", regular)]))
        // Without --iconv the same unsorted chunk is refused.
        var strict = FileListTracker()
        _ = try strict.accept(FileListChunk(directoryIndex: nil,
            entries: [entry(".", directory), entry("d", directory)]))
        expectProtocolError(.outOfSequence) {
            _ = try strict.accept(FileListChunk(directoryIndex: 1, entries: [entry("b", regular), entry("a", regular)]))
        }
    }

    @Test func trackerRefusesBadSequences() throws {
        let rootChunk = FileListChunk(directoryIndex: nil, entries: [entry(".", directory), entry("f", regular)])
        func fresh() throws -> FileListTracker {
            var t = FileListTracker()
            _ = try t.accept(rootChunk)
            return t
        }
        var noRoot = FileListTracker()
        expectProtocolError(.outOfSequence) { _ = try noRoot.accept(FileListChunk(directoryIndex: 0, entries: [])) }
        expectProtocolError(.outOfSequence) { try noRoot.finish() }
        var t = try fresh()
        expectProtocolError(.outOfSequence) { _ = try t.accept(rootChunk) }
        expectProtocolError(.outOfSequence) { _ = try t.accept(FileListChunk(directoryIndex: 1, entries: [])) }  // a file
        expectProtocolError(.outOfSequence) { _ = try t.accept(FileListChunk(directoryIndex: 9, entries: [])) }
        _ = try t.accept(FileListChunk(directoryIndex: 0, entries: []))
        expectProtocolError(.outOfSequence) { _ = try t.accept(FileListChunk(directoryIndex: 0, entries: [])) }  // twice
        // Order and duplicates within a directory.
        for entries in [[entry("b", regular), entry("a", regular)], [entry("a", regular), entry("a", regular)],
            [entry("d", directory), entry("f", regular)], [entry("a", directory), entry("a-", directory)],
            [entry("x", 0o120777, target: "/etc"), entry("x", directory)]]  // one name as a symlink and a directory
        {
            var u = try fresh()
            expectProtocolError(.outOfSequence) { _ = try u.accept(FileListChunk(directoryIndex: 0, entries: entries)) }
        }
        var dup = FileListTracker()
        expectProtocolError(.outOfSequence) {
            _ = try dup.accept(FileListChunk(directoryIndex: nil, entries: [entry("x", regular), entry("x", regular)]))
        }
        // An open continuation must be finished first.
        var c = FileListTracker()
        _ = try c.accept(FileListChunk(directoryIndex: nil, entries: [entry(".", directory), entry("d", directory)]))
        _ = try c.accept(FileListChunk(directoryIndex: 0, continues: true, entries: [entry("f", regular)]))
        expectProtocolError(.outOfSequence) { _ = try c.accept(FileListChunk(directoryIndex: 1, entries: [])) }
        expectProtocolError(.outOfSequence) { try c.finish() }
        // Counts and full path length.
        var small = FileListTracker(limits: ProtocolLimits(maxFileCount: 3))
        expectProtocolError(.limitExceeded) {
            _ = try small.accept(FileListChunk(directoryIndex: nil, entries: (0..<4).map { entry("f\($0)", regular) }))
        }
        var deep = FileListTracker(limits: ProtocolLimits(maxPathLength: 300))
        let long = String(repeating: "d", count: 200)
        _ = try deep.accept(FileListChunk(directoryIndex: nil, entries: [entry(long, directory)]))
        expectProtocolError(.unsafePath) {
            _ = try deep.accept(FileListChunk(directoryIndex: 0, entries: [entry(String(repeating: "f", count: 120), regular)]))
        }
    }
}
