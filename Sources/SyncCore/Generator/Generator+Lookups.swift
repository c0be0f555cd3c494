/// `--jobs`: the destination entries of a large directory are looked up on several threads before the
/// generator goes through them (`ParallelLookups`); each entry's first look at its destination then takes
/// the status found. Only the entry's own first look does: whatever the generator does to an entry
/// (making way, linking, writing) it does to that entry alone, so a later look at it, or any look after
/// the walk has moved on, goes to the disk again.
extension Generator {
    /// The statuses of `listing`'s entries in the destination directory just opened, in entry order; nil
    /// where the entries are looked up one by one.
    func lookUpDestinationEntries(of listing: FileListBuilder<FS>.Listing) -> [Result<FileStatus, SystemCallError>?]? {
        // A backup beside the file (`-b` without --backup-dir) renames one entry to another's name.
        guard let lookups, listing.entries.count >= ParallelLookups<FS>.minimumNames, let directory = destinationDirectory,
            renamedSingleFile == nil, dryRunMissingBelow == nil, !(options.backup && options.backupDir == nil)
        else { return nil }
        return lookups.lstat(listing.entries.map { PathBytes.lastComponent($0.name) }, in: directory.handle)
    }

    /// Offers the status looked up for `entry` (at `index` of its listing) to its first `destinationStatus`.
    func offerLookedUpStatus(_ statuses: [Result<FileStatus, SystemCallError>?]?, index: Int, entry: borrowing FileEntry) {
        guard let statuses, let status = statuses[index] else {
            lookedUpStatus = nil
            return
        }
        lookedUpStatus = (entry.name, status)
    }

    /// The status offered for `name`, taken once.
    func takeLookedUpStatus(_ name: [UInt8]) -> Result<FileStatus, SystemCallError>? {
        guard let offered = lookedUpStatus, offered.name == name else { return nil }
        lookedUpStatus = nil
        return offered.status
    }
}
