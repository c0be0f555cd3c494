/// The sender of a local run, in this process: lists the root when the generator asks, then the rest
/// of the tree on `FileListStream`'s thread, a bounded number of directories ahead. Its files are read
/// by the receiver itself (`SenderDelivery.inProcess`), so a whole-file copy stays a kernel copy.
final class LocalSenderLink<FS: FileSystem>: SenderLink {
    private var builder: FileListBuilder<FS>
    private let tree: SourceTree
    private let observer: TransferObserver
    private var root: (listing: SourceListing, tree: SourceTree)?
    private var stream: FileListStream<FS>?
    private(set) var ioError = false

    init(builder: FileListBuilder<FS>, tree: SourceTree, observer: TransferObserver) {
        self.builder = builder
        self.tree = tree
        self.observer = observer
    }

    func receiveRoot() throws(SyncError) -> (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int) {
        let listed = builder.listRoot(of: tree, observer: observer)
        if listed.ioError { ioError = true }
        root = (listed.listing, listed.tree)
        return (listed.listing, listed.dotEntry, tree.argumentCount)
    }

    /// Starts the lister on first use, after the generator has dealt with the root.
    var listings: any ListingSource {
        if let stream { return stream }
        let started = FileListStream(builder: builder, root: root?.listing ?? SourceListing(entries: [], subdirectories: [:]),
            recursive: builder.options.recursive)
        started.start()
        stream = started
        return started
    }

    var delivery: SenderDelivery { .inProcess }

    func request(fileIndex: Int, signature: Signature?) {}

    func received(_ entry: FileEntry, destination: (device: UInt64, inode: UInt64)?) -> Bool {
        let options = builder.options
        let directory = entry.sourceDirectory ?? FileLocation(path: entry.sourcePath).directory
        let outcome = SourceRemoval.remove(PathBytes.lastComponent(entry.sourcePath), in: directory, listed: entry.status,
            follows: options.copyLinks, destination: destination, fs: builder.fs)
        return SourceRemoval.report(outcome, name: entry.name, infoLevel: options.effectiveInfoRemove,
            highBytes: options.highBytes, observer: observer)
    }

    var treeForDeletionPass: SourceTree? { root?.tree }
}
