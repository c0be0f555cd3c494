/// The sender of a remote run, as the generator sees it: listings decoded from the peer's file-list
/// chunks, and file data asked for by file index and delivered through `incoming`, in request order.
public protocol SenderLink: AnyObject {
    /// Waits for the root chunk: the root listing, the "." entry when a source named a directory's
    /// contents, and how many source arguments the sender had (more than one makes the destination a
    /// directory).
    func receiveRoot() throws(SyncError) -> (listing: SourceListing, dotEntry: FileEntry?, sourceArguments: Int)
    /// The listings below the root, in pre-order.
    var listings: any ListingSource { get }
    /// Asks for file `fileIndex`, as a delta against the basis whose signature is given (nil: whole).
    /// Returns at once; the data arrives through `incoming` in the order of the requests.
    func request(fileIndex: Int, signature: Signature?)
    var incoming: IncomingData { get }
    /// The sender met an unreadable source (rsync's `io_error`), so nothing may be deleted.
    var ioError: Bool { get }
}
