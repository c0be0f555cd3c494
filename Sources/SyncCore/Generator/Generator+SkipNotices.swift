/// rsync's `--info=skip` lines (on from `-vv`): why the generator leaves an entry alone. Level 2 adds, for
/// `--ignore-existing`, what a transfer would have changed.
extension Generator {
    /// `--existing` and `--ignore-existing` for a non-directory entry: true when it is left alone.
    func skipsForExistence(_ entry: FileEntry, existing: FileStatus?, at path: [UInt8]) -> Bool {
        if options.existingOnly && existing == nil {
            skipNotice("not creating new file \"\(shownName(entry))\"")
            return true
        }
        guard options.ignoreExisting, let existing else { return false }
        skipNotice("\(shownName(entry)) exists" + (options.skipLevel > 1 ? existingSuffix(entry, existing, path) : ""))
        return true
    }

    /// rsync's generator looks at `--existing`/`--ignore-existing` before it skips a type it does not copy.
    func skipsForExistenceBeforeType(_ entry: FileEntry) -> Bool {
        guard options.existingOnly || options.ignoreExisting else { return false }
        let path = destinationPath(entry.name)
        return skipsForExistence(entry, existing: destinationStatus(path, name: entry.name), at: path)
    }

    /// rsync's " (type change)", " (file change)"/" (sum change)", " (attr change)" or " (uptodate)".
    private func existingSuffix(_ entry: FileEntry, _ existing: FileStatus, _ path: [UInt8]) -> String {
        if existing.kind != entry.kind { return " (type change)" }
        let location = destinationLocation(path, name: entry.name)
        let contentSame: Bool
        switch entry.kind {
        case .regular:
            contentSame = check.isUnchanged(source: entry.status, destination: existing) {
                (sourceChecksum(entry), try? fs.openForReading(location).checksum())
            }
        case .symlink:
            // Without -l rsync's list carries no target to compare: a link always counts as changed.
            contentSame = options.links && (try? fs.readLink(location.name, in: location.directory)) == entry.symlinkTarget
        default:
            contentSame = !entry.kind.isDevice || existing.rdev == entry.status.rdev
        }
        if !contentSame { return options.checksum ? " (sum change)" : " (file change)" }
        let attributes = check.attributeFlags(source: entry, destination: existing, localChange: false)
        return attributes.isEmpty ? " (uptodate)" : " (attr change)"
    }

    /// `--existing` for a directory: "not creating new directory" (not for a directory only implied by `-R`).
    func skipNoticeForNewDirectory(_ entry: FileEntry) {
        if !entry.isImpliedDirectory { skipNotice("not creating new directory \"\(shownName(entry))\"") }
    }

    func skipNotice(_ line: @autoclosure () -> String, level: Int = 1) {
        if options.skipLevel >= level { observer.info(line()) }
    }

    func shownName(_ entry: FileEntry) -> String {
        OutputEscaper.escape(entry.name, highBytes: options.highBytes)
    }
}
