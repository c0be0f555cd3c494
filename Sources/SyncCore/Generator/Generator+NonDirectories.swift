/// The generator's symlinks, devices and specials, and clearing a destination entry of another type
/// out of the way.
extension Generator {
    func processNonDirectory(_ entry: FileEntry) {
        if entry.isMissingArgument {
            deleteMissingArgument(entry)
            return
        }
        // Counted even when skipped: it is in the file list (rsync's --stats agrees).
        stats.countListed(entry)
        switch entry.kind {
        case .regular:
            processRegular(entry)
        case .symlink:
            guard options.links else {
                if !skipsForExistenceBeforeType(entry) { reportSkippedNonRegular(entry) }
                return
            }
            processSymlink(entry)
        case .characterDevice, .blockDevice, .fifo, .socket:
            // As rsync: devices only for a super-user (real, `--super` or `--fake-super`), special files for all.
            let allowed = (entry.kind.isDevice ? options.devices && options.isSuperUser : options.specials)
                && !options.dropDevices
            guard allowed else {
                if !skipsForExistenceBeforeType(entry) { reportSkippedNonRegular(entry) }
                return
            }
            processNode(entry)
        case .directory:
            break
        }
    }

    /// Clears a destination entry of the wrong type out of the way. Returns false when it cannot.
    func makeWay(_ path: [UInt8], existing: FileStatus, for entry: FileEntry) -> Bool {
        let location = destinationLocation(path, name: entry.name)
        if existing.kind == .directory {
            let isEmpty = (try? fs.openDirectory(location, followingSymlink: false)).map {
                ((try? fs.listDirectory($0)) ?? []).isEmpty
            } ?? true
            guard isEmpty || options.force || options.effectiveDeleteTiming != nil else {
                observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))")
                fail(.bare("could not make way for new \(kindWord(entry.kind)): \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))",
                    role: .generator))
                return false
            }
            if options.backup && !options.dryRun {
                deleter.backupTree(location, path: path, name: entry.name)
            } else {
                // The directory's contents are deleted (and reported) as rsync's `delete_item` does.
                deleter.deleteContents(of: path, name: entry.name)
                if !options.dryRun { try? fs.removeDirectory(location) }
            }
            // Something inside was kept (--max-delete, a protected file): the way is still blocked.
            if !options.dryRun, (try? fs.lstat(location.name, in: location.directory))?.kind == .directory {
                observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))")
                fail(.bare("could not make way for new \(kindWord(entry.kind)): \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))",
                    role: .generator))
                return false
            }
            return true
        }
        guard !options.dryRun else { return true }
        if options.backup {
            do {
                if let line = try receiver.makeBackup(location, path: path, name: entry.name) { observer.info(line) }
            } catch {
                if case .backupRefused(let destination, let cause) = error {
                    backupWasRefused(destination: destination, cause: cause)
                }
                return false
            }
            return true
        }
        do { try fs.removeFile(location) } catch {
            fail("[generator] \(error.describing(call: "unlink"))")
            return false
        }
        return true
    }

    func kindWord(_ kind: FileKind) -> String {
        switch kind {
        case .regular: return "regular file"
        case .symlink: return "symlink"
        case .directory: return "directory"
        default: return "special file"
        }
    }

    /// `--munge-links` on a receiving end: the link is made below /rsyncd-munged/, so it leads nowhere
    /// here. As in rsync, each end acts on its own option: in a local run only the sender does (it
    /// takes the prefix off), and a peer munges only when told with `-M`.
    var mungesLinks: Bool {
        guard options.mungeLinks, let link, case .peer = link.delivery else { return false }
        return true
    }

    func processSymlink(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        // rsync's generator: an unsafe link is left out, and whatever the destination holds there stays.
        if options.safeLinks, let linkTarget = entry.symlinkTarget,
            PathBytes.isUnsafeSymlink(target: linkTarget, linkName: entry.name)
        {
            if options.nameLevel > 0 {
                let escape = { (bytes: [UInt8]) in OutputEscaper.escape(bytes, highBytes: self.options.highBytes) }
                observer.info("ignoring unsafe symlink \"\(escape(entry.name))\" -> \"\(escape(linkTarget))\"")
            }
            return
        }
        let path = destinationPath(entry.name)
        let location = destinationLocation(path, name: entry.name)
        let target = (mungesLinks ? SyncOptions.mungedLinkPrefix : []) + (entry.symlinkTarget ?? [])
        var existing = destinationStatus(path, name: entry.name)
        if skipsForExistence(entry, existing: existing, at: path) { return }
        var flags: ItemizeFlags = [.localChange]
        if let current = existing {
            if current.kind == .symlink, let currentTarget = try? fs.readLink(location.name, in: location.directory) {
                let attributes = check.attributeFlags(source: entry, destination: current, localChange: false)
                if currentTarget == target {
                    if !options.dryRun { applyAttributes(path, entry: entry, existing: current, flags: attributes) }
                    reportUpToDate(entry, flags: attributes)
                    return
                }
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: true))
                flags.insert(.reportChange)
                if !options.dryRun && options.backup {
                    do {
                        let location = destinationLocation(path, name: entry.name)
                        if let line = try receiver.makeBackup(location, path: path, name: entry.name) { observer.info(line) }
                    } catch {
                        if case .backupRefused(let destination, let cause) = error {
                            backupWasRefused(destination: destination, cause: cause)
                            return
                        }
                        fail("[generator] backup of \(OutputEscaper.escape(entry.name, highBytes: options.highBytes)) failed")
                        return
                    }
                } else if !options.dryRun {
                    do { try fs.removeFile(location) } catch {
                        fail("[generator] \(error.describing(call: "unlink"))")
                        return
                    }
                }
            } else {
                guard makeWay(path, existing: current, for: entry) else { return }
                existing = nil
            }
        }
        if existing == nil {
            if useReferenceNonRegular(entry, path: path) { return }
            if let basis = references.candidate(for: entry, kind: .symlink) {
                flags.formUnion(check.attributeFlags(source: entry, destination: basis.status, localChange: true))
                if (try? fs.readLink(basis.location.name, in: basis.location.directory)) != target { flags.insert(.reportChange) }
                if flags.isDisjoint(with: .significant) { noteUpToDate(entry) }
            } else {
                flags.insert(.isNew)
                stats.created.add(.symlink)
            }
        }
        if !options.dryRun {
            do { try fs.makeSymlink(location, target: target) } catch {
                fail("[receiver] symlink \"\(OutputEscaper.escape(fs.absolute(path), highBytes: options.highBytes))\" -> \"\(OutputEscaper.escape(target, highBytes: options.highBytes))\" failed: \(error.errnoText) (\(error.errno))")
                return
            }
            warn(receiver.finishAttributes(role: .generator, location, permissions: nil, owner: ownerChange(entry.status, nil),
                mtime: check.keepsTime(.symlink) ? entry.status.mtime : nil,
                atime: check.keepsAccessTime(.symlink) ? entry.status.atime : nil, isSymlink: true))
        }
        report(entry, flags: flags)
    }

    func processNode(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        let path = destinationPath(entry.name)
        let location = destinationLocation(path, name: entry.name)
        var existing = destinationStatus(path, name: entry.name)
        if skipsForExistence(entry, existing: existing, at: path) { return }
        var flags: ItemizeFlags = [.localChange]
        if let current = existing {
            if current.kind == entry.kind && (!entry.kind.isDevice || current.rdev == entry.status.rdev) {
                var attributes = check.attributeFlags(source: entry, destination: current, localChange: false)
                addSecurityFlags(&attributes, entry, at: location, existing: current)
                if !options.dryRun { applyAttributes(path, entry: entry, existing: current, flags: attributes) }
                reportUpToDate(entry, flags: attributes)
                return
            }
            if current.kind == entry.kind {
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: true))
                flags.insert(.reportChange)
                if !options.dryRun { try? fs.removeFile(location) }
            } else {
                guard makeWay(path, existing: current, for: entry) else { return }
                existing = nil
            }
        }
        if existing == nil {
            if useReferenceNonRegular(entry, path: path) { return }
            // As for symlinks: a copy in a reference directory is the basis it is itemized against.
            if let basis = references.candidate(for: entry, kind: entry.kind),
                !entry.kind.isDevice || basis.status.rdev == entry.status.rdev
            {
                flags.formUnion(check.attributeFlags(source: entry, destination: basis.status, localChange: true))
                if flags.isDisjoint(with: .significant) { noteUpToDate(entry) }
            } else {
                flags.insert(.isNew)
                stats.created.add(entry.kind)
            }
        }
        if !options.dryRun {
            let permissions = destinationPermissions(source: entry.status, existing: nil)
            do { try fs.makeNode(location, mode: (entry.status.mode & 0o170000) | permissions, rdev: entry.status.rdev) } catch {
                fail("[receiver] \(error.describing(call: "mknod"))")
                return
            }
            warn(receiver.finishAttributes(role: .generator, location, permissions: permissions, owner: ownerChange(entry.status, nil),
                mtime: check.keepsTime(entry.kind) ? entry.status.mtime : nil,
                atime: check.keepsAccessTime(entry.kind) ? entry.status.atime : nil,
                security: securityChange(entry, mode: permissions)))
        }
        report(entry, flags: flags)
    }

    // MARK: Helpers

    /// `--delete-missing-args`: the destination's counterpart of a source that is not there goes; a
    /// directory with something in it only with `--delete` or `--force`, as rsync's `delete_item`.
    func deleteMissingArgument(_ entry: FileEntry) {
        let path = destinationPath(entry.name)
        let location = destinationLocation(path, name: entry.name)
        guard let existing = try? fs.lstat(location.name, in: location.directory) else { return }
        if existing.kind == .directory && !(options.delete || options.force),
            let inside = try? fs.openDirectory(location, followingSymlink: false),
            !((try? fs.listDirectory(inside)) ?? []).isEmpty
        {
            observer.info("cannot delete non-empty directory: \(OutputEscaper.escape(entry.name, highBytes: options.highBytes))")
            return
        }
        deleter.deleteItem(location, name: entry.name, status: existing)
    }

    /// rsync's NONREG line, shown unless `--info=nonreg0` (or `-q`, which the observer applies).
    func reportSkippedNonRegular(_ entry: FileEntry) {
        guard options.infoNonRegular > 0 else { return }
        observer.info("skipping non-regular file \"\(OutputEscaper.escape(entry.name, highBytes: options.highBytes))\"")
    }
}
