extension Generator {
    /// `-m`: finds the directories to leave out and returns the root listing without them; the listings
    /// below come through `prunedListings`. A local sender's tree is listed once beforehand; a peer's
    /// listings are all taken first.
    func pruneEmptyDirectories(root: SourceListing, link: SenderLink) -> SourceListing {
        let filters = options.filterList
        func isProtected(_ name: [UInt8]) -> Bool {
            guard let match = filters?.check(name, isDirectory: true, side: .receiver) else { return false }
            return !match.isIncluded
        }
        let recursive = options.recursive
        let pruned: Set<[UInt8]>
        if let tree = link.treeForDeletionPass {
            var scanner = FileListBuilder.rescanner(of: tree, fs: fs, options: options)
            pruned = EmptyDirectoryPruning.find(root: root, recursive: recursive, isProtected: isProtected) {
                scanner.list($0.source, relativeName: $0.entry.name)
            }
            prunedListings = PruningListingSource(inner: senderListings(link), root: root, pruned: pruned, recursive: recursive)
        } else {
            let buffered = BufferedListings(inner: senderListings(link), root: root, recursive: recursive)
            var taken = buffered.all.makeIterator()
            pruned = EmptyDirectoryPruning.find(root: root, recursive: recursive, isProtected: isProtected) { _ in
                taken.next() ?? SourceListing(entries: [], subdirectories: [:])
            }
            prunedListings = PruningListingSource(inner: buffered, root: root, pruned: pruned, recursive: recursive)
        }
        return EmptyDirectoryPruning.removing(pruned, from: root)
    }
}
