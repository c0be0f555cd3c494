extension FileListBuilder {
    /// Passes each listing of the sender's whole list below `root` (the listing of `tree`'s root) to
    /// `visit`, in pre-order, listing each subdirectory again with a builder of its own, as `--delete-before`
    /// scans the tree, so no directory handle is held for the whole tree. For what rsync knows from its
    /// whole list before the transfer where swsync's list streams (`FileListProgress`, `-L -H` groups).
    public static func scanWholeList(below root: SourceListing, of tree: SourceTree, fs: FS, options: SyncOptions,
        visit: (SourceListing) -> Void)
    {
        var scanner = FileListBuilder(fs: fs, options: options)
        // The root's per-directory rules first, as the sender read them: the subdirectories inherit them.
        if options.filterList?.hasPerDirectoryRules == true { _ = scanner.list(tree.root, relativeName: []) }
        var walk = PreOrderWalk(root: root, recursive: options.recursive)
        while let subdirectory = walk.next() {
            let child = scanner.list(subdirectory.source, relativeName: subdirectory.entry.name)
            visit(child)
            walk.enter(child)
        }
    }
}
