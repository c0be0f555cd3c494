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

    /// How many entries the sender's whole list holds: `root` (the listing of `tree`'s root), what is below it,
    /// and the "." entry when there is one (`FileListProgress`'s "N files to consider").
    public static func countWholeList(root: SourceListing, hasDotEntry: Bool, of tree: SourceTree, fs: FS,
        options: SyncOptions) -> Int
    {
        var count = root.entries.count + (hasDotEntry ? 1 : 0)
        scanWholeList(below: root, of: tree, fs: fs, options: options) { count += $0.entries.count }
        return count
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
