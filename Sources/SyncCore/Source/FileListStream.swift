import Dispatch
import Synchronization

/// The sender of a local run: lists the tree on a thread of its own, depth-first in the order the
/// generator walks it, and hands each directory's listing over through a bounded queue. Listing the
/// source and checking the destination then overlap, as rsync's sender and generator processes do.
///
/// The generator takes listings with `next()` in pre-order: after a directory's listing come the
/// listings of each subdirectory it names (in `Listing.entries` order) with their own subtrees. A
/// subtree the generator does not enter is consumed with `skipSubtree()`, so the two stay in step.
/// At most `capacity` listings wait in the queue, so memory stays bounded on huge trees: 32 directories
/// ahead keep the generator fed, and a no-op's peak RSS over 200,000 files is that over 20,000 (at 256 the
/// lister ran ahead and the peak grew with the tree, 17 to 30 MiB).
final class FileListStream<FS: FileSystem>: ListingSource, @unchecked Sendable {
    // @unchecked: the `SourceDirectory` objects below the root listing belong to the producer thread
    // from `start()` on; the generator only tests `Listing.subdirectories` for keys.
    private var builder: FileListBuilder<FS>
    private let root: FileListBuilder<FS>.Listing
    private let recursive: Bool
    private let queue = Mutex(FirstInFirstOut<FileListBuilder<FS>.Listing>())
    private let available = DispatchSemaphore(value: 0)
    private let slots: DispatchSemaphore
    private let finished = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    private let listedEntries = Atomic<Int>(0)
    private let listedBytes = Atomic<Int64>(0)
    private let complete: Atomic<Bool>

    init(builder: FileListBuilder<FS>, root: FileListBuilder<FS>.Listing, recursive: Bool, capacity: Int = 32) {
        self.builder = builder
        self.root = root
        self.recursive = recursive
        self.complete = Atomic(PreOrderWalk(root: root, recursive: recursive).isFinished)
        self.slots = DispatchSemaphore(value: capacity)
    }

    /// Starts the producer thread.
    func start() {
        DispatchQueue(label: "swsync.sender.filelist").async { [self] in
            produce()
            finished.signal()
        }
    }

    /// The next listing in pre-order; blocks until the producer has made it.
    func next() -> FileListBuilder<FS>.Listing {
        available.wait()
        // `available` counts the listings queued, so one is there.
        let listing = queue.withLock { $0.popFirst() } ?? SourceListing(entries: [], subdirectories: [:])
        slots.signal()
        return listing
    }

    /// Entries and file bytes listed below the root listing so far, and whether the listing is done
    /// (progress's "to-chk" against "ir-chk").
    var listedSoFar: (entries: Int, size: Int64, complete: Bool) {
        (listedEntries.load(ordering: .relaxed), listedBytes.load(ordering: .relaxed),
            complete.load(ordering: .acquiring))
    }

    /// Stops the producer and waits for it, for a run that ends early.
    func finish() {
        cancelled.store(true, ordering: .relaxed)
        slots.signal()
        finished.wait()
        // Listings never taken still hold their slots; a semaphore must not be released below the value
        // it was made with (libdispatch traps).
        let untaken = queue.withLock { $0.count }
        for _ in 0..<untaken { slots.signal() }
    }

    private func produce() {
        var walk = PreOrderWalk(root: root, recursive: recursive)
        while let subdirectory = walk.next() {
            slots.wait()
            if cancelled.load(ordering: .relaxed) { return }
            let listing = builder.list(subdirectory.source, relativeName: subdirectory.entry.name)
            listedEntries.add(listing.entries.count, ordering: .relaxed)
            listedBytes.add(listing.transferSize(links: builder.options.links), ordering: .relaxed)
            walk.enter(listing)
            // Complete before the last listing is handed over, so its files see "to-chk".
            if walk.isFinished { complete.store(true, ordering: .releasing) }
            queue.withLock { $0.append(listing) }
            available.signal()
        }
    }
}

// A listing crosses from the producer thread to the generator once; the `SourceDirectory` objects it
// holds are used by the producer alone (see `FileListStream`).
extension FileListBuilder.Listing: @unchecked Sendable {}

