import SyncTestSupport
import Testing
@testable import SyncCore

/// `--jobs` when it is not given: a thread per core on memory and solid-state storage (two at least, eight
/// at most), two on a rotating disk however many the cores, eight on a network file system.
@Suite(.tags(.small))
struct DefaultJobsTests {
    @Test(arguments: [
        (1, StorageKind.memory, 2), (2, .memory, 2), (4, .memory, 4), (64, .memory, 8),
        (1, .solidState, 2), (6, .solidState, 6), (32, .solidState, 8),
        (1, .unknown, 2), (3, .unknown, 3), (16, .unknown, 8),
        (1, .rotational, 2), (2, .rotational, 2), (16, .rotational, 2),
        (1, .network, 8), (2, .network, 8), (64, .network, 8),
        (0, .memory, 2), (-3, .network, 8),
    ])
    func countFollowsCoresAndStorage(_ cores: Int, _ storage: StorageKind, _ expected: Int) {
        #expect(DefaultJobs.count(cores: cores, storage: storage) == expected, "\(cores) cores, \(storage)")
    }

    @Test func everyDefaultIsAValidJobsValue() {
        for storage in [StorageKind.memory, .solidState, .rotational, .network, .unknown] {
            for cores in 1...128 {
                #expect(SyncOptions.jobRange.contains(DefaultJobs.count(cores: cores, storage: storage)))
            }
        }
    }
}
