import CSyncShims
import Glibc
import SyncTestSupport
import Testing
@testable import SyncCore
@testable import SyncPlatform

/// What `StorageProbe` tells from a path: the file system type first (memory, network), else the block
/// device's rotational flag; a path not there yet is told by the nearest directory above it.
@Suite(.tags(.small))
struct StorageProbeTests {
    @Test(arguments: [
        (0x0102_1994 as Int64, StorageKind.memory),  // tmpfs
        (0x8584_58f6, .memory),  // ramfs
        (0x6969, .network),  // NFS
        (0xFF53_4D42, .network),  // CIFS
        (0xFE53_4D42, .network),  // SMB2
        (0x6573_5546, .network),  // FUSE
        (0x00C3_6400, .network),  // Ceph
        (0x0102_1997, .network),  // 9p
    ])
    func fileSystemTypeDecidesAlone(_ type: Int64, _ kind: StorageKind) {
        #expect(StorageProbe.kind(fileSystemType: type, major: 8, minor: 1) == kind)
    }

    /// ext4 on an anonymous device (major 0: btrfs, overlay) has no queue to ask.
    @Test func anonymousDeviceIsUnknown() {
        #expect(StorageProbe.kind(fileSystemType: 0xEF53, major: 0, minor: 42) == .unknown)
    }

    /// A device that sysfs does not list (no such major) is unknown, not a guess.
    @Test func unlistedDeviceIsUnknown() {
        #expect(StorageProbe.blockDeviceKind(major: 4095, minor: 1_048_575) == .unknown)
    }

    /// The block devices this machine has are told as sysfs says.
    @Test func listedDevicesFollowSysfs() throws {
        guard let dir = opendir("/sys/dev/block") else { return }
        defer { closedir(dir) }
        var checked = 0
        while let entry = readdir(dir), checked < 8 {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let parts = name.split(separator: ":").compactMap { UInt32($0) }
            guard parts.count == 2 else { continue }
            let flag = readFirstByte("/sys/dev/block/\(name)/queue/rotational")
                ?? readFirstByte("/sys/dev/block/\(name)/../queue/rotational")
            let expected: StorageKind = flag == nil ? .unknown : flag == UInt8(ascii: "1") ? .rotational : .solidState
            #expect(StorageProbe.blockDeviceKind(major: parts[0], minor: parts[1]) == expected, "\(name)")
            checked += 1
        }
    }

    @Test func memoryFileSystemAndAPathBelowItNotThereYet() throws {
        var type: Int64 = 0
        var major: UInt32 = 0
        var minor: UInt32 = 0
        guard csync_storage_of("/dev/shm", &type, &major, &minor) == 0, type == 0x0102_1994 else { return }
        #expect(StorageProbe.kind(of: Array("/dev/shm".utf8)) == .memory)
        #expect(StorageProbe.kind(of: Array("/dev/shm/swsync-missing-\(getpid())/a/b/".utf8)) == .memory)
    }

    /// A relative path not there yet is told by the working directory, as the directory above it.
    @Test func missingRelativePathIsToldByTheWorkingDirectory() {
        let missing = Array("swsync-missing-\(getpid())/a/b".utf8)
        #expect(StorageProbe.kind(of: missing) == StorageProbe.kind(of: PathBytes.dot))
    }

    private func readFirstByte(_ path: String) -> UInt8? {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 1 ? byte : nil
    }
}
