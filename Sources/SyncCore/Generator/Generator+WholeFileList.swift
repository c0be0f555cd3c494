extension Generator {
    /// Passes the root listing and every listing below it to `visit` before the transfer, for what rsync
    /// knows from its whole list: a peer's listings are all taken here and kept (`wholeFileList`); a local
    /// tree is scanned again (`FileListBuilder.scanWholeList`).
    func visitWholeFileList(root: SourceListing, link: SenderLink, _ visit: (SourceListing) -> Void) {
        visit(root)
        if let tree = link.treeForDeletionPass {
            FileListBuilder.scanWholeList(below: root, of: tree, fs: builder.fs, options: options, visit: visit)
            return
        }
        let buffered = (wholeFileList as? BufferedListings)
            ?? BufferedListings(inner: senderListings(link), root: root, recursive: options.recursive)
        wholeFileList = buffered
        buffered.all.forEach(visit)
    }

    /// `--progress` where rsync builds the whole list before the transfer: the list's size is printed before
    /// the first transfer line (`FileListProgress`).
    func announceWholeFileList(root: SourceListing, hasDotEntry: Bool, link: SenderLink, side: FileListProgress.Side) {
        var count = hasDotEntry ? 1 : 0
        visitWholeFileList(root: root, link: link) { count += $0.entries.count }
        observer.info(FileListProgress.text(count: count, side: side))
    }

    /// `-H` with `-L`: followed symlinks join their target's group, so its link count no longer tells when
    /// its last member has been met; the members are counted in the whole list instead (rsync sends the
    /// last listed member and links the others to it).
    func countHardLinkMembers(root: SourceListing, link: SenderLink) {
        var counts: [HardLinkGroups.Key: Int] = [:]
        visitWholeFileList(root: root, link: link) { listing in
            for entry in listing.entries where entry.kind == .regular && entry.status.linkCount > 1 {
                counts[HardLinkGroups.Key(device: entry.status.device, inode: entry.status.inode), default: 0] += 1
            }
        }
        hardLinkGroups.memberCounts = counts
    }
}
