/// The file a delta is made against (rsync's `fnamecmp`): the destination file itself, a partial file
/// in `--partial-dir`, or a file in a reference directory. It is opened where the generator's lookup
/// found it, through its parent's handle without following a symlink, never by its path again.
public struct DeltaBasis: Sendable {
    /// For messages.
    public var path: [UInt8]
    public var location: FileLocation
    /// The destination file itself: `--inplace` rebuilds over it.
    public var isDestination: Bool

    public init(path: [UInt8], location: FileLocation, isDestination: Bool = false) {
        self.path = path
        self.location = location
        self.isDestination = isDestination
    }
}
