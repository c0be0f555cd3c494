/// rsync's order over a file list, the one walk that the local file-list stream, the remote sender,
/// `--list-only` (local and remote), `--delete-before` and the generator's skipped subtrees share: a
/// directory's listing, then for each subdirectory it descends into (in `entries` order) that
/// subdirectory's listing followed by its own subtree, depth first.
///
/// The caller drives it and owns the listings: `next()` names the next subdirectory to list (or take
/// from the peer), and `enter(_:)` makes that listing's subdirectories come next. A listing that is not
/// entered has its subtree skipped; a caller that stops calling `next()` ends the walk. No recursion,
/// so a deep tree costs one frame per level (the ancestors' listings), not a stack frame.
///
/// `Mark` is what the caller keeps with each entered listing, handed back with its subdirectories
/// (the remote sender keeps the file index of the listing's first entry); `Void` for most walks.
public struct PreOrderWalk<Mark> {
    /// A subdirectory whose listing comes next in pre-order.
    public struct Subdirectory {
        /// Its entry in the parent's listing.
        public let entry: FileEntry
        /// Where that entry stands in the parent's `entries`.
        public let position: Int
        /// What to list inside it (`SourceListing.subdirectories`).
        public let source: SourceDirectory
        /// The mark the parent listing was entered with.
        public let parentMark: Mark
    }

    private struct Frame {
        let listing: SourceListing
        let mark: Mark
        var position = 0
    }

    private let recursive: Bool
    private var frames: [Frame] = []
    /// Subdirectories of the entered listings that `next()` has not returned yet.
    private var pending = 0

    /// A walk below `root`, which counts as entered (its own listing is the caller's to handle).
    /// `recursive` is `-r`: see `SourceListing.descends(into:recursive:)`.
    public init(root: SourceListing, mark: Mark, recursive: Bool) {
        self.recursive = recursive
        enter(root, mark: mark)
    }

    /// True when no subdirectory is left to list: the last listing has been entered (`next()` may still
    /// pass directory entries that it does not descend into).
    public var isFinished: Bool { pending == 0 }

    /// The next subdirectory in pre-order, or nil at the end. `passing` sees every directory entry of
    /// the entered listings in order as the walk reaches it, whether or not it descends into it, just
    /// before that subdirectory is returned.
    public mutating func next(passing: (FileEntry) -> Void = { _ in }) -> Subdirectory? {
        while !frames.isEmpty {
            let top = frames.count - 1
            let listing = frames[top].listing
            var position = frames[top].position
            while position < listing.entries.count {
                let entry = listing.entries[position]
                position += 1
                guard entry.isDirectory else { continue }
                passing(entry)
                if listing.descends(into: entry, recursive: recursive) {
                    frames[top].position = position
                    pending -= 1
                    return Subdirectory(entry: entry, position: position - 1,
                        source: listing.subdirectories[PathBytes.lastComponent(entry.name)]!,
                        parentMark: frames[top].mark)
                }
            }
            frames.removeLast()
        }
        return nil
    }

    /// Walks `listing` (the one just taken for the subdirectory `next()` returned) before the rest:
    /// its subdirectories come next.
    public mutating func enter(_ listing: SourceListing, mark: Mark) {
        for entry in listing.entries where entry.isDirectory && listing.descends(into: entry, recursive: recursive) {
            pending += 1
        }
        frames.append(Frame(listing: listing, mark: mark))
    }
}

extension PreOrderWalk where Mark == Void {
    public init(root: SourceListing, recursive: Bool) {
        self.init(root: root, mark: (), recursive: recursive)
    }

    public mutating func enter(_ listing: SourceListing) {
        enter(listing, mark: ())
    }
}
