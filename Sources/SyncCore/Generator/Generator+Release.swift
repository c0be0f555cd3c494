/// A remote run: telling the sender which listed files the generator is done with (`ReleaseTracker`).
extension Generator {
    /// `listing` is next to be checked: the files listed before it are decided, and those not held for
    /// later, nor still being written, are released.
    func releaseFiles(before listing: FileListBuilder<FS>.Listing) {
        guard releaseTracker != nil, let link, let first = listing.entries.lazy.map(\.fileIndex).min() else { return }
        if let due = releaseTracker?.release(before: first) { link.release(below: due.below, keeping: due.keeping) }
    }
}
