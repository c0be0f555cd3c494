import Dispatch
import Synchronization

/// Looks up many entries of one open directory on several threads at once (`--jobs`): the sender's
/// listing of a directory and the generator's look at the destination directory it walks. With a cold
/// cache each `lstat` waits for the disk to read an inode; with several in flight the disk serves them
/// together instead of one after another. The results come back in the names' order, so everything
/// after the lookups (filters, rsync's order, the output) stays as with one thread.
///
/// Each worker is a serial queue of its own: libdispatch gives every serial queue a thread when it has
/// work even while the others' threads are blocked in the kernel, where a concurrent queue would stay at
/// one thread per core. The calling thread takes part, so `threads` lookups are in flight at most.
public final class ParallelLookups<FS: FileSystem>: Sendable {
    private let fs: FS
    private let workers: [DispatchQueue]

    /// Fewer names than this are looked up on the calling thread: handing them out costs more than it saves.
    public static var minimumNames: Int { 32 }

    /// Names a worker takes at a time.
    private static var chunk: Int { 8 }

    /// `threads` lookups at once, the caller's included; nil when that is one (`--jobs=1`).
    public init?(fs: FS, threads: Int) {
        guard threads > 1 else { return nil }
        self.fs = fs
        workers = (1..<threads).map { DispatchQueue(label: "swsync.lookup.\($0)") }
    }

    /// `lstat` of each of `names` in `directory`, in their order; nil for a short list, which the caller
    /// looks up itself as it goes (as it does a name whose slot is nil, which none should be).
    public func lstat(_ names: [[UInt8]], in directory: any DirectoryHandle) -> [Result<FileStatus, SystemCallError>?]? {
        guard names.count >= Self.minimumNames else { return nil }
        let batch = Batch(count: names.count)
        let fs = self.fs
        @Sendable func work() {
            while true {
                let start = batch.next.add(Self.chunk, ordering: .relaxed).oldValue
                if start >= names.count { return }
                for index in start..<min(start + Self.chunk, names.count) {
                    batch.store(Result { () throws(SystemCallError) in try fs.lstat(names[index], in: directory) }, at: index)
                }
            }
        }
        let group = DispatchGroup()
        for worker in workers.prefix(max(0, names.count / Self.chunk - 1)) {
            worker.async(group: group) { work() }
        }
        work()
        group.wait()
        return batch.results()
    }

    /// One call's results, written by several threads, each slot by one; read after they are done.
    private final class Batch: @unchecked Sendable {
        let next = Atomic<Int>(0)
        private let slots: UnsafeMutableBufferPointer<Result<FileStatus, SystemCallError>?>

        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: nil)
        }

        deinit {
            slots.deinitialize()
            slots.deallocate()
        }

        func store(_ result: Result<FileStatus, SystemCallError>, at index: Int) { slots[index] = result }

        /// Every slot is written once `group.wait()` has returned (the group's wait orders the writes before).
        func results() -> [Result<FileStatus, SystemCallError>?] { Array(slots) }
    }
}
