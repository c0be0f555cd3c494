extension FileListBuilder {
    /// Passes each listing of the sender's whole list below `root` (the listing of `tree`'s root) to
    /// `visit`, in pre-order, listing each subdirectory again with a builder of its own, as `--delete-before`
    /// scans the tree, so no directory handle is held for the whole tree. For what rsync knows from its
    /// whole list before the transfer where swsync's list streams (`FileListProgress`, `-L -H` groups).
    public static func scanWholeList(below root: SourceListing, of tree: SourceTree, fs: FS, options: SyncOptions,
        visit: (SourceListing) -> Void)
    {
        var scanner = rescanner(of: tree, fs: fs, options: options)
        var walk = PreOrderWalk(root: root, recursive: options.recursive)
        while let subdirectory = walk.next() {
            let child = scanner.list(subdirectory.source, relativeName: subdirectory.entry.name)
            visit(child)
            walk.enter(child)
        }
    }

    /// A builder that lists the directories below `tree`'s root again (a scan before the transfer), with the
    /// root's per-directory rules read first, as the sender read them: the subdirectories inherit them (a
    /// `dir-merge` file's rules below it).
    public static func rescanner(of tree: SourceTree, fs: FS, options: SyncOptions) -> FileListBuilder {
        var scanner = FileListBuilder(fs: fs, options: options)
        if options.filterList?.hasPerDirectoryRules == true { _ = scanner.list(tree.root, relativeName: []) }
        return scanner
    }
}
