import SyncCore
import SyncTestSupport
import Testing

/// `--fake-super`'s records: rsync's `%stat` text, its ACL words, and which names are stored where.
@Suite("fake-super records", .tags(.small))
struct FakeSuperRecordTests {
    @Test func theStatRecordIsRsyncsText() throws {
        let device = FakeSuperRecord(mode: 0o020644, rdev: DeviceNumber.make(major: 1, minor: 3), uid: 0, gid: 5)
        #expect(String(decoding: device.encoded, as: UTF8.self) == "20644 1,3 0:5")
        let file = FakeSuperRecord(mode: 0o104750, rdev: 0, uid: 1234, gid: 4_294_967_294)
        #expect(String(decoding: file.encoded, as: UTF8.self) == "104750 0,0 1234:4294967294")
        for record in [device, file] { #expect(FakeSuperRecord(decoding: record.encoded) == record) }
    }

    @Test(arguments: ["", "100644", "100644 0,0", "100644 0,0 0", "10064x 0,0 0:0", "100644 0;0 0:0", "100644 0,0 -1:0",
        "100644 0,0 0:0 extra", "100644 1,2,3 0:0"])
    func aValueThatIsNoRecordIsRefused(_ text: String) {
        #expect(FakeSuperRecord(decoding: Array(text.utf8)) == nil)
    }

    @Test func deviceNumbersUseGlibcsLayout() {
        // makedev(259, 65536): the high minor bits go above bit 20.
        let device = DeviceNumber.make(major: 259, minor: 65_536)
        #expect(device == 0x1001_0300)
        #expect(DeviceNumber.major(device) == 259 && DeviceNumber.minor(device) == 65_536)
        #expect(DeviceNumber.make(major: 8, minor: 1) == 0x801)
    }

    @Test func namesOutsideTheUserNamespaceAreStoredBelowRsyncsPrefix() {
        func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }
        #expect(text(FakeSuperRecord.storedName(Array("trusted.x".utf8))) == "user.rsync.trusted.x")
        #expect(text(FakeSuperRecord.storedName(Array("user.x".utf8))) == "user.x")
        #expect(text(FakeSuperRecord.listedName(Array("user.rsync.trusted.x".utf8))) == "trusted.x")
        #expect(text(FakeSuperRecord.listedName(Array("user.x".utf8))) == "user.x")
        #expect(text(FakeSuperRecord.listedName(Array("user.rsync.%other".utf8))) == "user.rsync.%other")
        for record in ["user.rsync.%stat", "user.rsync.%aacl", "user.rsync.%dacl"] {
            #expect(FakeSuperRecord.listedName(Array(record.utf8)) == nil)
        }
    }

    @Test func anAccessACLLeavesOutWhatTheModeSays() throws {
        // u::rw-, u:1234:r--, g::r-- (equal to the mask), g:5678:rw-, m::rw-, o::r--
        let list = AccessControlList([
            .init(.userObject, 6), .init(.user, 4, id: 1234), .init(.groupObject, 6), .init(.group, 6, id: 5678),
            .init(.mask, 6), .init(.other, 4),
        ])
        let bytes = FakeSuperACLFormat.encode(list, kind: .access)
        #expect(bytes == [0x80, 0, 0, 0, 0x80, 0, 0, 0, 6, 0, 0, 0, 0x80, 0, 0, 0,
            0xD2, 0x04, 0, 0, 4, 0, 0, 0x80, 0x2E, 0x16, 0, 0, 6, 0, 0, 0])
        #expect(FakeSuperACLFormat.decode(bytes, mode: 0o100664) == list)
    }

    @Test func aDefaultACLKeepsEveryEntry() throws {
        let list = AccessControlList([
            .init(.userObject, 7), .init(.user, 7, id: 65534), .init(.groupObject, 5), .init(.group, 5, id: 1234),
            .init(.mask, 7), .init(.other, 5),
        ])
        let bytes = FakeSuperACLFormat.encode(list, kind: .default)
        #expect(Array(bytes[0..<16]) == [7, 0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0])
        #expect(FakeSuperACLFormat.decode(bytes, mode: 0) == list)
    }

    @Test func aRecordOfTheWrongLengthIsRefused() {
        #expect(FakeSuperACLFormat.decode([], mode: 0) == nil)
        #expect(FakeSuperACLFormat.decode([UInt8](repeating: 0x80, count: 15), mode: 0) == nil)
        #expect(FakeSuperACLFormat.decode([UInt8](repeating: 0x80, count: 20), mode: 0) == nil)
    }
}
