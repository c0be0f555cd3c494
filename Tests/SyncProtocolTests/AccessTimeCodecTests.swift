import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// `-U`: the chunk flag that makes every non-directory entry carry its access time.
@Suite("File list access times", .tags(.small))
struct AccessTimeCodecTests {
    static func chunk(atimes: Bool) -> FileListChunk {
        var file = WireFileEntry(name: Array("f".utf8), mode: 0o100644, size: 3, mtime: FileTime(seconds: 10))
        var link = WireFileEntry(name: Array("l".utf8), mode: 0o120777, mtime: FileTime(seconds: 10),
            symlinkTarget: Array("f".utf8))
        let directory = WireFileEntry(name: Array("d".utf8), mode: 0o040755, mtime: FileTime(seconds: 10))
        if atimes {
            file.atime = -86_400
            link.atime = 1_700_000_000
        }
        var chunk = FileListChunk(directoryIndex: 0, entries: [file, link, directory])
        chunk.carriesAccessTimes = atimes
        return chunk
    }

    @Test(arguments: [true, false])
    func roundTrip(atimes: Bool) throws {
        let message = Message.fileListChunk(Self.chunk(atimes: atimes))
        let decoded = try Message.decode(type: .fileListChunk, payload: message.encodePayload())
        #expect(decoded == message)
        guard case .fileListChunk(let chunk) = decoded else { return }
        // Directories never carry one, as in rsync.
        #expect(chunk.entries.map(\.atime) == (atimes ? [-86_400, 1_700_000_000, nil] : [nil, nil, nil]))
        #expect(chunk.entries[0].status.atime == (atimes ? -86_400 : 0))
    }

    @Test func withoutTheFlagNoAtimeIsRead() throws {
        // Entries with an atime in a chunk without the flag: nothing of it travels.
        var chunk = Self.chunk(atimes: true)
        chunk.carriesAccessTimes = false
        let decoded = try Message.decode(type: .fileListChunk, payload: Message.fileListChunk(chunk).encodePayload())
        guard case .fileListChunk(let back) = decoded else { Issue.record("not a chunk"); return }
        #expect(back.entries.allSatisfy { $0.atime == nil })
    }

    @Test func hostileAtimesAreRefused() {
        var payload = Message.fileListChunk(Self.chunk(atimes: true)).encodePayload()
        // The flag set by a peer with no atimes after it: the last entry's field is missing.
        var plain = Message.fileListChunk(Self.chunk(atimes: false)).encodePayload()
        plain[1] |= 0x10
        expectProtocolError(.truncated) { _ = try Message.decode(type: .fileListChunk, payload: plain) }
        // Cut inside the last varint.
        payload.removeLast()
        #expect(throws: ProtocolError.self) { _ = try Message.decode(type: .fileListChunk, payload: payload) }
        // An unknown chunk flag stays refused.
        var unknown = Message.fileListChunk(Self.chunk(atimes: true)).encodePayload()
        unknown[1] |= 0x20
        expectProtocolError(.malformed) { _ = try Message.decode(type: .fileListChunk, payload: unknown) }
    }

    @Test func splitChunksKeepTheFlag() {
        var chunk = Self.chunk(atimes: true)
        chunk.entries = (0..<400).map {
            var entry = WireFileEntry(name: Array("file-\($0)".utf8), mode: 0o100644, mtime: FileTime(seconds: 1))
            entry.atime = Int64($0)
            return entry
        }
        let parts = FileListCodec.chunks(directoryIndex: 0, entries: chunk.entries, maxPayload: 1_000,
            carriesAccessTimes: true)
        #expect(parts.count > 1)
        #expect(parts.allSatisfy { $0.carriesAccessTimes })
        #expect(parts.allSatisfy { Message.fileListChunk($0).encodePayload().count <= 1_000 })
    }
}
