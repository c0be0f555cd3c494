/// `-m`/`--prune-empty-dirs`: directories whose whole subtree lists no non-directory are left out of the
/// file list, as rsync's receiver prunes its complete list. A directory the receiver's rules exclude or
/// protect (`--filter='protect emptydir/'`) is kept, and with it every directory above it; the transfer
/// root (".") always stays. Because a pruned directory is not in the list, `--delete` deletes it from
/// the destination, as in rsync.
///
/// Which directories go needs the whole tree: a local run lists it once beforehand (`find`, with a
/// scanner, as `--delete-before` does, so no directory handle is held for the whole tree), a remote run
/// keeps the peer's listings (`BufferedListings`) as rsync keeps its whole list. `PruningListingSource`
/// then takes the pruned directories out of the listings the generator gets.
public enum EmptyDirectoryPruning {
    /// The names (relative to the transfer root) of the directories to leave out. `next` gives the
    /// listing of each subdirectory below `root`, in pre-order, as the sender makes them.
    public static func find(root: SourceListing, recursive: Bool, isProtected: ([UInt8]) -> Bool,
        next: (PreOrderWalk<Int>.Subdirectory) -> SourceListing) -> Set<[UInt8]>
    {
        // One node per listing; a listing's children come after it in pre-order, so a pass from the
        // last node to the first sees every subtree before the directory that holds it.
        var listings: [SourceListing] = [root]
        var childNode: [[UInt8]: Int] = [:]
        var walk = PreOrderWalk(root: root, mark: 0, recursive: recursive)
        while let subdirectory = walk.next() {
            let listing = next(subdirectory)
            childNode[subdirectory.entry.name] = listings.count
            walk.enter(listing, mark: listings.count)
            listings.append(listing)
        }
        var hasContent = [Bool](repeating: false, count: listings.count)
        var pruned: Set<[UInt8]> = []
        for node in listings.indices.reversed() {
            var keepsSomething = false
            for entry in listings[node].entries {
                guard entry.isDirectory else {
                    keepsSomething = true
                    continue
                }
                if let child = childNode[entry.name], hasContent[child] {
                    keepsSomething = true
                } else if isProtected(entry.name) {
                    keepsSomething = true
                } else {
                    pruned.insert(entry.name)
                }
            }
            hasContent[node] = keepsSomething
        }
        return pruned
    }

    /// `listing` without the pruned directories.
    public static func removing(_ pruned: Set<[UInt8]>, from listing: SourceListing) -> SourceListing {
        guard !pruned.isEmpty, listing.entries.contains(where: { $0.isDirectory && pruned.contains($0.name) }) else {
            return listing
        }
        var kept = listing
        kept.entries.removeAll { $0.isDirectory && pruned.contains($0.name) }
        for entry in listing.entries where entry.isDirectory && pruned.contains(entry.name) {
            kept.subdirectories[PathBytes.lastComponent(entry.name)] = nil
        }
        return kept
    }
}

/// The listings of another source with the pruned directories taken out. The inner source still
/// delivers a pruned directory's listings; they are read past, and what the sender reported in them
/// (messages, I/O errors, a vanished file) goes out with the next listing served, so no error is lost.
public final class PruningListingSource: ListingSource {
    private let inner: any ListingSource
    private let pruned: Set<[UInt8]>
    private let recursive: Bool
    /// The walk over the unpruned listings, as the inner source delivers them.
    private var walk: PreOrderWalk<Void>
    /// What pruned listings reported, for the next listing served.
    private var carried = SourceListing(entries: [], subdirectories: [:])

    /// `root` is the unpruned root listing the inner source lists below.
    public init(inner: any ListingSource, root: SourceListing, pruned: Set<[UInt8]>, recursive: Bool) {
        self.inner = inner
        self.pruned = pruned
        self.recursive = recursive
        self.walk = PreOrderWalk(root: root, recursive: recursive)
    }

    public func next() -> SourceListing {
        while let subdirectory = walk.next() {
            let listing = inner.next()
            if pruned.contains(subdirectory.entry.name) {
                carry(listing)
                var below = PreOrderWalk(root: listing, recursive: recursive)
                while below.next() != nil {
                    let child = inner.next()
                    carry(child)
                    below.enter(child)
                }
                continue
            }
            walk.enter(listing)
            var served = EmptyDirectoryPruning.removing(pruned, from: listing)
            served.messages = carried.messages + served.messages
            served.hadIOError = served.hadIOError || carried.hadIOError
            served.hadVanished = served.hadVanished || carried.hadVanished
            served.fatalError = served.fatalError ?? carried.fatalError
            carried = SourceListing(entries: [], subdirectories: [:])
            return served
        }
        // The generator asks only for the listings it walks; nothing is left past the end.
        return SourceListing(entries: [], subdirectories: [:])
    }

    /// Reads past the pruned listings after the last one served and returns what they reported, for a
    /// walk that has ended.
    public func remainder() -> SourceListing {
        while let subdirectory = walk.next() {
            let listing = inner.next()
            carry(listing)
            if !pruned.contains(subdirectory.entry.name) { walk.enter(listing) }
        }
        defer { carried = SourceListing(entries: [], subdirectories: [:]) }
        return carried
    }

    private func carry(_ listing: SourceListing) {
        carried.messages += listing.messages
        carried.hadIOError = carried.hadIOError || listing.hadIOError
        carried.hadVanished = carried.hadVanished || listing.hadVanished
        carried.fatalError = carried.fatalError ?? listing.fatalError
    }

    public var listedSoFar: (entries: Int, size: Int64, complete: Bool) { inner.listedSoFar }

    public func finish() { inner.finish() }
}

/// A peer's listings, all taken at once (a remote run's `-m` needs the whole list, as rsync's does) and
/// then served in the same order.
public final class BufferedListings: ListingSource {
    private let inner: any ListingSource
    private var listings: [SourceListing]
    private var position = 0

    /// Takes every listing below `root` from `inner`, in pre-order.
    public init(inner: any ListingSource, root: SourceListing, recursive: Bool) {
        self.inner = inner
        var taken: [SourceListing] = []
        var walk = PreOrderWalk(root: root, recursive: recursive)
        while walk.next() != nil {
            let listing = inner.next()
            walk.enter(listing)
            taken.append(listing)
        }
        self.listings = taken
    }

    /// The listings taken, in pre-order, for `EmptyDirectoryPruning.find`.
    public var all: [SourceListing] { listings }

    public func next() -> SourceListing {
        guard position < listings.count else { return SourceListing(entries: [], subdirectories: [:]) }
        let listing = listings[position]
        listings[position] = SourceListing(entries: [], subdirectories: [:])
        position += 1
        return listing
    }

    public var listedSoFar: (entries: Int, size: Int64, complete: Bool) { inner.listedSoFar }

    public func finish() { inner.finish() }
}
