/// The sender's first step, the same for a local run and for a remote sender: which named sources
/// are sent at all, the transfer root's listing, and its "." entry.
extension FileListBuilder {
    /// Prunes the named sources (rsync's "skipping directory", excluded or missing names) and lists the
    /// root. `ioError`: a named source could not be read, so nothing may be deleted. `tree` is the
    /// pruned tree, whose `root` the lister continues from.
    public mutating func listRoot(of tree: SourceTree, observer: TransferObserver)
        -> (listing: SourceListing, dotEntry: FileEntry?, ioError: Bool, tree: SourceTree)
    {
        var ioError = false
        let copiesDirectories = options.recursive || options.dirs
        var tree = tree
        if !copiesDirectories {
            if tree.dotSource != nil {
                observer.info("skipping directory .")
                tree.root.listings = []
                tree.dotSource = nil
            }
        }
        // --shard: another shard's named sources are its own to check (and to report missing).
        if let shard = options.shard { tree.root.named.removeAll { shard.leavesOut($0.name, in: []) } }
        // Every named source is checked here, in argument order, as rsync's sender takes its arguments.
        let filters = options.filterList
        let isExcluded: (([UInt8], Bool) -> Bool)? = filters.map { filters in
            { name, isDirectory in filters.isExcluded(name, isDirectory: isDirectory, side: .sender) }
        }
        let skipped = tree.pruneNamedSources(fs: fs, followLinks: options.copyLinks,
            skipsDirectories: !copiesDirectories, isExcluded: isExcluded,
            ignoresMissing: { [options] error in
                error.errno == SystemErrno.noSuchEntry && (options.ignoreMissingArgs || options.deleteMissingArgs)
            })
        { source in
            observer.error("[sender] \(source.error.describing(call: source.call, path: fs.absolute(source.path)))",
                role: .sender)
            ioError = true
        }
        for name in skipped { observer.info("skipping directory \(OutputEscaper.escape(name, highBytes: options.highBytes))") }
        let rootListing = list(tree.root, relativeName: [])
        // A source directory that could not be entered was reported by the listing (change_dir), as
        // rsync does; its own lstat would only repeat that.
        let rootUnreadable = rootListing.hadIOError && rootListing.entries.isEmpty
        var dotEntry = rootUnreadable ? nil : tree.dotSource.flatMap { self.rootEntry(sourcePath: $0, observer: observer) }
        if tree.dotIsImplied { dotEntry?.isImpliedDirectory = true }
        return (rootListing, dotEntry, ioError, tree)
    }
}
