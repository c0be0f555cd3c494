/// `--usermap`, `--groupmap`, `--chown`: each entry's owner and group as the maps give them, applied to
/// the sender's listings before the generator compares anything, so itemize lines and the attributes
/// set agree with what the destination gets.
struct OwnerMapping {
    let users: IDMap?
    let groups: IDMap?

    init?(_ options: SyncOptions) {
        guard options.userMap != nil || options.groupMap != nil else { return nil }
        users = options.userMap
        groups = options.groupMap
    }

    func apply(_ entry: FileEntry) -> FileEntry {
        var entry = entry
        if let mapped = users?.map(entry.status.uid) { entry.status.uid = mapped }
        if let mapped = groups?.map(entry.status.gid) { entry.status.gid = mapped }
        return entry
    }

    func apply(_ listing: SourceListing) -> SourceListing {
        var listing = listing
        listing.entries = listing.entries.map(apply)
        return listing
    }
}

/// Another source's listings with `OwnerMapping` applied.
final class OwnerMappedListings: ListingSource {
    private let inner: any ListingSource
    private let mapping: OwnerMapping

    init(inner: any ListingSource, mapping: OwnerMapping) {
        self.inner = inner
        self.mapping = mapping
    }

    func next() -> SourceListing { mapping.apply(inner.next()) }
    var listedSoFar: (entries: Int, size: Int64, complete: Bool) { inner.listedSoFar }
    func finish() { inner.finish() }
}
