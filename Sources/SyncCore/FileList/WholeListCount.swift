extension FileListBuilder {
    /// How many entries the sender's whole list holds below `root` (the listing of `tree`'s root), counted
    /// by listing each subdirectory again with a builder of its own, as `--delete-before` scans the tree, so
    /// no directory handle is held for the whole tree. For rsync's "N files to consider" (`FileListProgress`)
    /// where the list streams but rsync builds it whole before the transfer.
    public static func countEntries(below root: SourceListing, of tree: SourceTree, fs: FS, options: SyncOptions) -> Int {
        var scanner = FileListBuilder(fs: fs, options: options)
        // The root's per-directory rules first, as the sender read them: the subdirectories inherit them.
        if options.filterList?.hasPerDirectoryRules == true { _ = scanner.list(tree.root, relativeName: []) }
        var count = root.entries.count
        var walk = PreOrderWalk(root: root, recursive: options.recursive)
        while let subdirectory = walk.next() {
            let child = scanner.list(subdirectory.source, relativeName: subdirectory.entry.name)
            count += child.entries.count
            walk.enter(child)
        }
        return count
    }
}
