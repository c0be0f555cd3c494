/// The sender as the generator sees it, in every run: the root listing, the listings below it in
/// pre-order, and how file data arrives. A local run's sender is `LocalSenderLink`, in this process; a
/// remote run's is the peer behind `ReceivingRole`. The generator, the receiver's write path and the
/// deletion passes are the same for both; only `delivery` differs.
public protocol SenderLink: AnyObject {
    /// Waits for the root: the root listing, the "." entry when a source named a directory's contents,
    /// and how many source arguments the sender had (more than one makes the destination a directory).
    func receiveRoot() throws(SyncError) -> (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int)
    /// The listings below the root, in pre-order.
    var listings: any ListingSource { get }
    /// How a file's data reaches the receiver.
    var delivery: SenderDelivery { get }
    /// A peer: asks for file `fileIndex`, as a delta against the basis whose signature is given (nil:
    /// whole). Returns at once; the data arrives through the delivery's `IncomingData`, in request order.
    func request(fileIndex: Int, signature: Signature?)
    /// The receiver has `entry` (a non-directory) in place (rsync's `MSG_SUCCESS`): with
    /// `--remove-source-files` the sender removes its source. `destination` is the destination entry's
    /// (device, inode) when both ends are this machine. True when the removal failed in this process (a
    /// peer reports and counts its own failures).
    func received(_ entry: FileEntry, destination: (device: UInt64, inode: UInt64)?) -> Bool
    /// A peer: the generator will never again ask for, nor report as received, a file listed before
    /// `below`, but those in `keeping` (ascending), so the sender may forget the rest (`ReleaseTracker`).
    func release(below: Int, keeping: [Int])
    /// The sender met an unreadable source (rsync's `io_error`), so nothing may be deleted.
    var ioError: Bool { get }
    /// The pruned source tree, when the sender can list it a second time for a deletion pass before
    /// the transfer (`--delete-before`); a peer cannot, and deletes as it goes.
    var treeForDeletionPass: SourceTree? { get }
}

extension SenderLink {
    /// A sender in this process (or a batch replayed) keeps no table to release.
    public func release(below: Int, keeping: [Int]) {}
}

/// Where a file's data comes from.
public enum SenderDelivery {
    /// The sender is in this process: the receiver reads each source file itself (a kernel copy, or a
    /// delta it makes against its basis), several at once.
    case inProcess
    /// The sender is a peer: each file's delta stream arrives in the order it was asked for, so the
    /// receiver writes one file at a time, with many requests in flight.
    case peer(IncomingData)
}
