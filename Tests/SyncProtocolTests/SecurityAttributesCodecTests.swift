import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// `-X`/`-A` in file-list entries: what round-trips, and what a hostile peer's lengths, counts and ACLs
/// are refused with (before anything is allocated for them).
@Suite("Xattrs and ACLs on the wire", .tags(.small))
struct SecurityAttributesCodecTests {
    static let named = AccessControlList([
        .init(.userObject, 6), .init(.user, 7, id: 65534), .init(.groupObject, 4), .init(.group, 5, id: 1234),
        .init(.mask, 7), .init(.other, 4),
    ])

    func entry(_ mode: UInt32, _ attributes: SecurityAttributes?) -> WireFileEntry {
        var entry = WireFileEntry(name: Array("f".utf8), mode: mode, mtime: FileTime(seconds: 1))
        entry.securityAttributes = attributes
        return entry
    }

    @Test func roundTrips() throws {
        let xattrs = [
            ExtendedAttribute(name: Array("trusted.t".utf8), value: [1, 2, 0, 3]),
            ExtendedAttribute(name: Array("user.a".utf8), value: []),
            ExtendedAttribute(name: Array("user.b".utf8), value: [UInt8](repeating: 7, count: 65536)),
        ]
        let chunk = FileListChunk(directoryIndex: 0, entries: [
            entry(0o100644, SecurityAttributes(extendedAttributes: xattrs, accessACL: Self.named)),
            entry(0o040755, SecurityAttributes(accessACL: Self.named, defaultACL: Self.named)),
            entry(0o040755, SecurityAttributes(defaultACL: AccessControlList.minimal)),
            entry(0o100600, nil),
        ])
        let payload = Message.fileListChunk(chunk).encodePayload()
        #expect(try Message.decode(type: .fileListChunk, payload: payload) == .fileListChunk(chunk))
    }

    /// A chunk with one regular file whose flags announce xattrs (0x40) or ACLs (0x80), `tail` after its uid/gid.
    func chunk(flags: UInt8, mode: UInt32 = 0o100644, _ tail: (inout PayloadWriter) -> Void) -> [UInt8] {
        var w = PayloadWriter()
        w.varint(1)
        w.byte(0)
        w.varint(1)
        w.byte(flags)
        w.varint(0)
        w.blob(Array("f".utf8))
        w.varint(UInt64(mode))
        if mode & 0o170000 != 0o120000 { w.varint(0) }
        w.signedVarint(0)
        w.varint(0)
        w.varint(0)
        if mode & 0o170000 == 0o120000 { w.blob(Array("t".utf8)) }
        tail(&w)
        return w.bytes
    }

    func acl(_ w: inout PayloadWriter, _ entries: [(UInt8, UInt8, UInt64?)]) {
        w.varint(entries.count)
        for (tag, permissions, id) in entries {
            w.byte(tag)
            w.byte(permissions)
            if let id { w.varint(id) }
        }
    }

    @Test func hostileAttributesAreRefused() {
        let base: [(UInt8, UInt8, UInt64?)] = [(0x01, 6, nil), (0x04, 4, nil), (0x20, 4, nil)]
        let cases: [([UInt8], ProtocolError.Code)] = [
            (chunk(flags: 0x40) { $0.varint(1025) }, .limitExceeded),  // too many names
            (chunk(flags: 0x40) { $0.varint(1000) }, .truncated),  // more names than bytes
            (chunk(flags: 0x40) { $0.varint(1); $0.varint(256); $0.raw([0, 0, 0, 0]) }, .limitExceeded),  // name too long
            (chunk(flags: 0x40) { $0.varint(1); $0.blob([]); $0.varint(0); $0.raw([0, 0]) }, .malformed),  // empty name
            (chunk(flags: 0x40) { $0.varint(1); $0.blob(Array("user.\0x".utf8)); $0.varint(0) }, .malformed),
            (chunk(flags: 0x40) { $0.varint(1); $0.blob(Array("user.a".utf8)); $0.varint(65537) }, .limitExceeded),
            (chunk(flags: 0x40) { $0.varint(1); $0.blob(Array("user.a".utf8)); $0.varint(60000) }, .truncated),
            (chunk(flags: 0x40) { w in  // repeated name
                w.varint(2)
                for _ in 0..<2 { w.blob(Array("user.a".utf8)); w.blob([1]) }
            }, .malformed),
            (chunk(flags: 0x40) { w in  // three values of 64 KiB: over the per-entry total
                w.varint(3)
                for name in ["user.a", "user.b", "user.c"] { w.blob(Array(name.utf8)); w.blob([UInt8](repeating: 0, count: 65536)) }
            }, .limitExceeded),
            (chunk(flags: 0x40, mode: 0o120777) { $0.varint(0) }, .malformed),  // on a symlink
            (chunk(flags: 0x80) { $0.byte(0x02); self.acl(&$0, base) }, .malformed),  // default ACL on a file
            (chunk(flags: 0x80) { $0.byte(0x01); $0.varint(1025) }, .limitExceeded),
            (chunk(flags: 0x80) { $0.byte(0x01); $0.varint(500) }, .truncated),
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, base + [(0x40, 4, nil)]) }, .malformed),  // tag
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, [(0x01, 9, nil), (0x04, 4, nil), (0x20, 4, nil)]) }, .malformed),
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, [(0x01, 6, nil), (0x20, 4, nil)]) }, .malformed),  // no group
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, base + [(0x02, 4, 7)]) }, .malformed),  // named, no mask
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, base + [(0x02, 4, 7), (0x02, 5, 7), (0x10, 7, nil)]) }, .malformed),
            (chunk(flags: 0x80) { $0.byte(0x01); self.acl(&$0, base + [(0x02, 4, 1 << 33)]) }, .limitExceeded),  // id
        ]
        for (payload, code) in cases {
            expectProtocolError(code) { _ = try Message.decode(type: .fileListChunk, payload: payload) }
        }
    }
}
