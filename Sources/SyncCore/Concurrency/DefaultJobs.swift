/// What a side's files are stored on, as far as the count of threads that serve it best goes.
public enum StorageKind: Sendable, Equatable {
    /// tmpfs, ramfs: no device, every operation is CPU.
    case memory
    /// A block device that says it does not rotate (SSD, NVMe, zram).
    case solidState
    /// A block device that says it rotates (a disk head; also what many virtual disks report).
    case rotational
    /// NFS, SMB, FUSE, Ceph, 9p and the like: every lookup and create is a round trip.
    case network
    /// Nothing known (btrfs and overlay report no device, a path that cannot be looked at).
    case unknown
}

/// `--jobs` when it is not given: how many threads a side looks up and writes with, from the cores and
/// the storage under that side's files (`Docs/scale.md`, "The default").
public enum DefaultJobs {
    /// The most a default gives, however many cores: beyond it the threads contend on the directories'
    /// locks more than they overlap.
    public static let localCeiling = 8
    /// A network file system's default: its round trips overlap however few the cores are.
    public static let network = 8

    public static func count(cores: Int, storage: StorageKind) -> Int {
        switch storage {
        case .network:
            return network
        case .rotational:
            // One head serves the requests: two keep it busy (the disk sorts what is queued), more only
            // scatter its seeks.
            return 2
        case .memory, .solidState, .unknown:
            // One thread per core, and two even on one core (a lookup waiting on the disk overlaps the next).
            return min(max(cores, 2), localCeiling)
        }
    }
}
