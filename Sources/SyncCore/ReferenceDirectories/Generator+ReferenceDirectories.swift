/// `--link-dest`, `--compare-dest`, `--copy-dest`: what the generator does with what the reference
/// directories hold (`ReferenceDirectories`): an identical file is linked, copied or left out instead
/// of being sent, one with the same data but other attributes is copied locally ("cf").
extension Generator {
    /// Resolves the reference directories once the destination is known; rsync warns (and goes on)
    /// when one is missing.
    func resolveReferenceDirectories() {
        references = ReferenceDirectories(fs: fs, check: check, options: options, destinationRoot: destinationRoot)
        references.openRoots(refused: warnOfRefusal)
        if let kind = options.alternateDestinationKind {
            for root in references.missingRoots {
                observer.error(.bare("--\(kind)-dest arg does not exist: \(OutputEscaper.escape(fs.absolute(root), highBytes: options.highBytes))"))
            }
        }
    }

    /// What a reference file did for a regular file (rsync `try_dests_reg`).
    enum ReferenceUse {
        /// Nothing: the file is sent.
        case unused
        /// Linked or copied into place.
        case placed
        /// `--compare-dest`: identical to the reference copy, so left out of the destination.
        case leftOut
    }

    func useReferenceFile(_ entry: FileEntry, path: [UInt8]) -> ReferenceUse {
        guard let kind = references.kind else { return .unused }
        var contentMatch: (path: [UInt8], location: FileLocation, attributes: ItemizeFlags)?
        for (candidate, location, _, attributes) in references.sameData(as: entry) {
            guard ReferenceDirectories<FS>.matches(attributes) else {
                if contentMatch == nil { contentMatch = (candidate, location, attributes) }
                continue
            }
            switch kind {
            case .compare:
                report(entry, flags: attributes)  // only an access time can differ here
                noteUpToDate(entry)
                return .leftOut
            case .link:
                if !options.dryRun {
                    let link = destinationLocation(path, name: entry.name)
                    do { try fs.makeHardLink(link, to: location) } catch { continue }
                    // rsync sets the source's atime on the linked inode, the reference's copy with it.
                    if check.keepsAccessTime(.regular) {
                        warn(receiver.finishAttributes(link, permissions: nil, owner: (nil, nil), mtime: nil,
                            atime: entry.status.atime))
                    }
                }
                report(entry, flags: attributes.union([.localChange, .hardLinkName]))
                noteUpToDate(entry)
                return .placed
            case .copy:
                guard copyLocally(entry, from: candidate, at: location, to: path, attributes: attributes) else {
                    return .unused
                }
                noteUpToDate(entry)
                return .placed
            }
        }
        if let contentMatch, copyLocally(entry, from: contentMatch.path, at: contentMatch.location, to: path,
            attributes: contentMatch.attributes)
        {
            return .placed
        }
        return .unused
    }

    /// Copies a reference file into place instead of sending the source (rsync `copy_altdest_file`),
    /// read through where the lookup found it (`location`: below the reference root, no symlink followed).
    func copyLocally(_ entry: FileEntry, from candidate: [UInt8], at location: FileLocation, to path: [UInt8],
        attributes: ItemizeFlags) -> Bool
    {
        if !options.dryRun {
            var job = writeJob(entry, path: path, existing: nil)
            job.source = candidate
            job.sourceLocation = location
            do { warn(try receiver.write(job, progress: { _ in }).warnings) } catch { return false }
        }
        var flags = attributes
        flags.insert(.localChange)
        report(entry, flags: flags)
        return true
    }

    /// Symlinks, devices and specials identical in a reference directory: `--link-dest` hard-links them
    /// (Linux can), `--compare-dest` leaves them out. Returns true when the entry is done.
    func useReferenceNonRegular(_ entry: FileEntry, path: [UInt8]) -> Bool {
        guard let kind = references.kind, kind != .copy, let candidate = references.identicalNonRegular(to: entry) else {
            return false
        }
        if kind == .link && !options.dryRun {
            do { try fs.makeHardLink(destinationLocation(path, name: entry.name), to: candidate) } catch { return false }
        }
        report(entry, flags: kind == .link ? [.localChange, .hardLinkName] : [])
        noteUpToDate(entry)
        return true
    }
}
