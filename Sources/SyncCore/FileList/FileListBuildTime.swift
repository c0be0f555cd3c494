import Synchronization

/// How long the sender spent building the file list, for `--stats`' "File list generation time".
///
/// rsync times its sender's `send_file_list`: the initial list alone when it sends the list incrementally
/// (the named sources and the root's contents), the whole list otherwise. swsync streams the list either
/// way, so it sums the time spent listing directories: the root's, and the ones below it. One value is
/// shared by a builder's copies, the lister thread's among them.
public final class FileListBuildTime: Sendable {
    private let rootNanoseconds = Atomic<Int64>(0)
    private let belowRootNanoseconds = Atomic<Int64>(0)

    public init() {}

    /// Adds the time one directory's listing took.
    public func add(_ elapsed: Duration, isRoot: Bool) {
        let (seconds, attoseconds) = elapsed.components
        let nanoseconds = seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
        if isRoot {
            rootNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
        } else {
            belowRootNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
        }
    }

    /// Runs `body` and adds the time it took: a peer's root listing is timed as it arrives.
    public func measure<T, E: Error>(isRoot: Bool, _ body: () throws(E) -> T) throws(E) -> T {
        let clock = ContinuousClock()
        let started = clock.now
        defer { add(clock.now - started, isRoot: isRoot) }
        return try body()
    }

    /// rsync's figure in whole milliseconds, never 0 (rsync prints 0.001 for a list built within one).
    public func milliseconds(incremental: Bool) -> Int64 {
        var total = rootNanoseconds.load(ordering: .relaxed)
        if !incremental { total &+= belowRootNanoseconds.load(ordering: .relaxed) }
        return max(1, total / 1_000_000)
    }

    /// The figure for `--stats`, in seconds, for a run with these options.
    public func seconds(_ options: SyncOptions) -> Double {
        Double(milliseconds(incremental: options.listsIncrementally)) / 1000
    }
}
