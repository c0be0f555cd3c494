extension Generator {
    /// `--progress` where rsync builds the whole list before the transfer: the list's size is printed before
    /// the first transfer line (`FileListProgress`). A peer's listings are all taken here and kept; a local
    /// tree is counted by a scan of its own (`FileListBuilder.countEntries`).
    func announceWholeFileList(root: SourceListing, hasDotEntry: Bool, link: SenderLink, side: FileListProgress.Side) {
        var count = hasDotEntry ? 1 : 0
        if let tree = link.treeForDeletionPass {
            count += FileListBuilder.countEntries(below: root, of: tree, fs: builder.fs, options: options)
        } else {
            let buffered = BufferedListings(inner: senderListings(link), root: root, recursive: options.recursive)
            count += root.entries.count + buffered.all.reduce(0) { $0 + $1.entries.count }
            wholeFileList = buffered
        }
        observer.info(FileListProgress.text(count: count, side: side))
    }
}
