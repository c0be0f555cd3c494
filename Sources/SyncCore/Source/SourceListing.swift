/// One listed directory: its entries (sorted), for each subdirectory what to list inside it, and
/// what the sender reported while listing it. Made by `FileListBuilder` for a local run, or decoded from
/// the peer's file-list chunks for a remote one.
public struct SourceListing {
    public var entries: [FileEntry]
    public var subdirectories: [[UInt8]: SourceDirectory]
    public var messages: [SenderMessage] = []
    /// This listing met an unreadable source (rsync's `io_error`).
    public var hadIOError = false
    /// An entry vanished while this directory was listed.
    public var hadVanished = false
    /// A per-directory rules file here could not be read or parsed; the run stops (exit 1 or 11).
    public var fatalError: SyncError?
    /// The directory's contents come from a source directory (not only from names given as
    /// arguments), so destination entries it lacks are extraneous for `--delete`.
    public var isContentDirectory = false

    public init(entries: [FileEntry], subdirectories: [[UInt8]: SourceDirectory], messages: [SenderMessage] = [],
        hadIOError: Bool = false, hadVanished: Bool = false, fatalError: SyncError? = nil,
        isContentDirectory: Bool = false)
    {
        self.entries = entries
        self.subdirectories = subdirectories
        self.messages = messages
        self.hadIOError = hadIOError
        self.hadVanished = hadVanished
        self.fatalError = fatalError
        self.isContentDirectory = isContentDirectory
    }

    /// Passes the sender's messages on, in the order they arose.
    public func deliverMessages(to observer: TransferObserver) {
        SenderMessage.deliver(messages, to: observer)
    }
}

extension SourceListing {
    /// True when the sender lists `entry`'s contents after this listing (and so the generator must take
    /// them): with `-r`, or for a `-R` implied directory, which leads to the paths named inside it.
    public func descends(into entry: FileEntry, recursive: Bool) -> Bool {
        (recursive || entry.isImpliedDirectory || entry.listsContents || entry.leadsToNamedPaths)
            && subdirectories[PathBytes.lastComponent(entry.name)] != nil
    }

    /// The bytes this listing adds to rsync's "total size": regular files, and symlink targets when sent.
    public func transferSize(links: Bool) -> Int64 {
        var size: Int64 = 0
        for entry in entries where entry.kind == .regular || (links && entry.kind == .symlink) {
            size &+= entry.countedSize  // wrapping, not trapping, on sizes a hostile peer claims
        }
        return size
    }
}

/// Where the generator takes the sender's listings from, in pre-order: after a directory's listing come
/// the listings of each subdirectory it descends into, with their own subtrees.
public protocol ListingSource: AnyObject {
    /// The next listing in pre-order; blocks until it is there.
    func next() -> SourceListing
    /// Entries and file bytes listed below the root so far, and whether the listing is complete.
    var listedSoFar: (entries: Int, size: Int64, complete: Bool) { get }
    /// Stops listing early and waits for the lister.
    func finish()
}

extension ListingSource {
    /// Consumes the listings of a subtree the generator does not enter (its next listing and every
    /// listing below it), passing each to `consume` so their messages and errors still count.
    public func skipSubtree(recursive: Bool, _ consume: (SourceListing) -> Void) {
        let listing = next()
        consume(listing)
        var walk = PreOrderWalk(root: listing, recursive: recursive)
        while walk.next() != nil {
            let child = next()
            consume(child)
            walk.enter(child)
        }
    }
}

