import CSyncShims
import Glibc
import SyncCore

/// Tells what a path's files are stored on (`DefaultJobs`): the file system's type from `statfs`, then,
/// for a block device, whether the kernel says it rotates (`/sys/dev/block/MAJ:MIN`). Only metadata is
/// looked at: the path itself, or the nearest existing directory above it when it is not there yet (a
/// destination a run will create). Anything that cannot be looked at is `.unknown`.
public enum StorageProbe {
    /// The CPUs this process may run on.
    public static var availableCores: Int { Int(csync_available_cpus()) }

    /// `DefaultJobs` for a side whose files are at `path`.
    public static func defaultJobs(for path: [UInt8]) -> Int {
        DefaultJobs.count(cores: availableCores, storage: kind(of: path))
    }

    public static func kind(of path: [UInt8]) -> StorageKind {
        var path = path.isEmpty ? PathBytes.dot : path
        for _ in 0..<64 {
            var type: Int64 = 0
            var major: UInt32 = 0
            var minor: UInt32 = 0
            // The call's errno, read before anything else can change it.
            let code = (try? withCPath(path) { csync_storage_of($0, &type, &major, &minor) == 0 ? 0 : errno }) ?? EINVAL
            if code == 0 { return kind(fileSystemType: type, major: major, minor: minor) }
            let parent = PathBytes.parent(path)
            guard code == ENOENT || code == ENOTDIR, parent != path else { return .unknown }
            path = parent
        }
        return .unknown
    }

    /// The kind a file system type names alone, else the device's.
    static func kind(fileSystemType: Int64, major: UInt32, minor: UInt32) -> StorageKind {
        let type = UInt32(truncatingIfNeeded: fileSystemType)
        if memoryTypes.contains(type) { return .memory }
        if networkTypes.contains(type) { return .network }
        return blockDeviceKind(major: major, minor: minor)
    }

    /// tmpfs, ramfs.
    static let memoryTypes: Set<UInt32> = [0x0102_1994, 0x8584_58f6]
    /// NFS, SMB (old, CIFS, SMB2), FUSE, Ceph, 9p, AFS, Coda, Lustre, GFS2, OCFS2.
    static let networkTypes: Set<UInt32> = [
        0x6969, 0x517B, 0xFF53_4D42, 0xFE53_4D42, 0x6573_5546, 0x00C3_6400, 0x0102_1997, 0x5346_414F,
        0x7375_7245, 0x0BD0_0BD0, 0x0116_1970, 0x7461_636F,
    ]

    /// `queue/rotational` of the device, or of the disk a partition is on (its parent in sysfs).
    static func blockDeviceKind(major: UInt32, minor: UInt32) -> StorageKind {
        // Major 0 is an anonymous device (btrfs, overlay, NFS): no queue to ask.
        guard major != 0 else { return .unknown }
        let device = "/sys/dev/block/\(major):\(minor)"
        for queue in [device + "/queue/rotational", device + "/../queue/rotational"] {
            if let flag = firstByte(of: queue) {
                return flag == UInt8(ascii: "1") ? .rotational : .solidState
            }
        }
        return .unknown
    }

    private static func firstByte(of path: String) -> UInt8? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var byte: UInt8 = 0
        return read(descriptor, &byte, 1) == 1 ? byte : nil
    }
}
