/// The generator's directories: creating or checking each destination directory before its contents,
/// and setting its permissions and time after them.
extension Generator {
    /// mkdir, where a directory that appeared since we looked (another run into the same destination
    /// made it) is as good as one we made: EEXIST is an error only when the name is not a directory.
    func makeDirectoryUnlessPresent(_ location: FileLocation, permissions: UInt32) throws(SystemCallError) {
        do { try fs.makeDirectory(location, permissions: permissions) } catch {
            guard error.errno == SystemErrno.exists, (try? fs.lstat(location.name, in: location.directory))?.kind == .directory
            else { throw error }
        }
    }

    /// rsync `--mkpath`: creates every missing component of `directory` and says how many it made.
    func makePath(_ directory: [UInt8]) {
        var missing = 0
        var probe = directory
        while probe.count > 1 && probe.last == PathBytes.slash { probe.removeLast() }
        let shown = OutputEscaper.escape(probe, highBytes: options.highBytes)
        while !probe.isEmpty && probe != PathBytes.dot && (try? fs.stat(probe)) == nil {
            missing += 1
            probe = PathBytes.parent(probe)
        }
        guard missing > 0 else { return }
        if !options.dryRun {
            receiver.makeParents(of: directory)
            try? fs.makeDirectory(directory, permissions: 0o777)
        }
        if announcesCreatedDirectories {
            observer.info(missing == 1 ? "created directory \(shown)" : "created \(missing) directories for \(shown)")
        }
    }

    struct DirectoryState {
        var isNew: Bool
    }

    /// Creates or checks one destination directory. Returns nil when its contents must be skipped.
    func processDirectoryEntry(_ entry: FileEntry, destinationIsNew: Bool = false) -> DirectoryState? {
        if isBelowLinkLeadingOutside(entry) { return nil }
        let path = destinationPath(entry.name)
        let location = destinationLocation(path, name: entry.name)
        var existing = destinationIsNew ? nil : destinationStatus(path, name: entry.name)
        if let current = existing, current.kind == .symlink, options.keepDirLinks,
            let target = try? fs.stat(path), target.kind == .directory
        {
            guard keptLinks.leadsInside(path, root: destinationRoot) else {
                // Kept, but not followed: each entry below it fails (see isBelowLinkLeadingOutside).
                // rsync itemizes it against where it leads, and changes nothing there.
                linksLeadingOutside.insert(entry.name)
                report(entry, flags: check.attributeFlags(source: entry, destination: target, localChange: false))
                return DirectoryState(isNew: false)
            }
            existing = target
        }
        // With --existing, a name that exists as another type still counts as existing: rsync puts the
        // directory in its place.
        let nameExisted = existing != nil
        if let current = existing, current.kind != .directory {
            if options.ignoreExisting {
                skipNotice("\(shownName(entry)) exists")
                return nil
            }
            if !options.dryRun {
                if options.backup {
                    if let line = try? receiver.makeBackup(location, path: path, name: entry.name) { observer.info(line) }
                } else {
                    do { try fs.removeFile(location) } catch {
                        fail("[generator] \(error.describing(call: "unlink"))")
                        return nil
                    }
                }
            }
            existing = nil
        }
        guard let current = existing else {
            if options.existingOnly && !destinationIsNew && !nameExisted {
                skipNoticeForNewDirectory(entry)
                return nil
            }
            if !options.dryRun {
                do {
                    if !destinationIsNew { try makeDirectoryUnlessPresent(location, permissions: 0o700) }
                } catch {
                    fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), highBytes: options.highBytes))\" failed: \(error.errnoText) (\(error.errno))")
                    return nil
                }
                if options.group || (options.owner && options.isSuperUser) {
                    warn(receiver.finishAttributes(role: .generator, location, permissions: nil, owner: ownerChange(entry.status, nil), mtime: nil))
                }
                // Before the contents: what is made inside inherits the default ACL.
                applySecurityAttributes(entry, at: location,
                    mode: destinationPermissions(source: entry.status, existing: nil))
                // A destination made for this run is one that exists to rsync's generator: with -p its mode is
                // set before its contents (so a setgid bit it inherited is gone before anything is made inside).
                let permissions = destinationPermissions(source: entry.status, existing: nil)
                if destinationIsNew && options.perms && permissions & 0o300 == 0o300 {
                    warn(receiver.finishAttributes(role: .generator, location, permissions: permissions, owner: (nil, nil),
                        mtime: nil))
                }
            }
            if options.existingOnly {
                stats.created.add(.directory)
                if destinationIsNew || nameExisted { report(entry, flags: [.localChange, .isNew]) }
                return DirectoryState(isNew: true)
            }
            // rsync itemizes a new directory against its copy in a --link-dest/--copy-dest/--compare-dest dir,
            // and then does not count it as created.
            if let basis = references.candidate(for: entry, kind: .directory) {
                var flags = check.attributeFlags(source: entry, destination: basis.status, localChange: false)
                addSecurityFlags(&flags, entry, at: basis.location, existing: basis.status, attributesSetFirst: false)
                if flags.isEmpty { noteUpToDate(entry) }
                flags.insert(.localChange)
                report(entry, flags: flags)
            } else {
                stats.created.add(.directory)
                report(entry, flags: [.localChange, .isNew])
            }
            return DirectoryState(isNew: true)
        }
        var flags = check.attributeFlags(source: entry, destination: current, localChange: false)
        addSecurityFlags(&flags, entry, at: location, existing: current, attributesSetFirst: false)
        if !flags.isDisjoint(with: [.reportACL, .reportExtendedAttributes]) {
            applySecurityAttributes(entry, at: location,
                mode: destinationPermissions(source: entry.status, existing: current))
        }
        if !options.dryRun && (flags.contains(.reportOwner) || flags.contains(.reportGroup)) {
            warn(receiver.finishAttributes(role: .generator, location, permissions: nil, owner: ownerChange(entry.status, current), mtime: nil))
        }
        // rsync's set_file_attrs on reaching an existing directory: its time first (set again, silently,
        // after its contents), and when that fails, nothing more.
        if !options.dryRun && check.keepsTime(.directory) && current.mtime != entry.status.mtime {
            let failures = receiver.finishAttributes(role: .generator, location, permissions: nil, owner: (nil, nil),
                mtime: entry.status.mtime)
            if !failures.isEmpty {
                warn(failures)
                directoriesWithFailedTimes.insert(entry.name)
            }
        }
        // rsync sets an existing directory's mode before its contents, so a directory made writable by
        // the source can be filled (a non-root user could not write into the old 0555 mode). A mode
        // that takes write access away waits for finishDirectory.
        let permissions = destinationPermissions(source: entry.status, existing: current)
        if !options.dryRun && permissions != current.permissions && permissions & 0o300 == 0o300
            && !directoriesWithFailedTimes.contains(entry.name)
        {
            warn(receiver.finishAttributes(role: .generator, location, permissions: permissions, owner: (nil, nil),
                mtime: nil))
        } else if !options.dryRun && !options.isSuperUser && permissions & 0o700 != 0o700 && current.permissions & 0o700 != 0o700 {
            // rsync's generator, for a user who is not root: a directory is given the owner's full access
            // while files go in (finishDirectory sets its own mode after them).
            do throws(SystemCallError) {
                try fs.setPermissions(location, permissions | 0o700)
                directoriesOpenedForWriting[entry.name] = permissions
            } catch {
                let shown = OutputEscaper.escape(receiver.fullName(location.path), highBytes: options.highBytes)
                fail("[generator] failed to modify permissions on \"\(shown)\": \(error.errnoText) (\(error.errno))")
            }
        }
        report(entry, flags: flags)
        return DirectoryState(isNew: false)
    }

    /// What the destination holds at `path`. In a dry run, below a directory that would have been
    /// created (or put in place of a file or a symlink), nothing exists yet: a real run would find it
    /// empty, and a symlink that would have been replaced must not be looked through.
    func destinationStatus(_ path: [UInt8], name: [UInt8]) -> FileStatus? {
        if let missing = dryRunMissingBelow, DirectoryRuleTracker.isAncestor(missing, of: name) { return nil }
        // An entry of the directory being walked is looked up through that directory's handle.
        if let looked = takeLookedUpStatus(name) { return try? looked.get() }
        if let location = locationInWalkedDirectory(name) { return try? fs.lstat(location.name, in: location.directory) }
        return try? fs.lstat(path)
    }

    /// Where the destination entry `name` (at `path`) is written: its name in the open directory being
    /// walked, so no write re-resolves the path above it. An entry elsewhere below the root (a late
    /// hard link, a directory finished after its walk) is reached below the root's handle, no symlink
    /// followed on the way. Only the root itself, a renamed single file and a parent that cannot be
    /// opened that way (one a dry run has not made) go through the parent's path.
    func destinationLocation(_ path: [UInt8], name: [UInt8]) -> FileLocation {
        if let location = locationInWalkedDirectory(name) { return location }
        if renamedSingleFile == nil, name != PathBytes.dot, !name.isEmpty, let location = deleter.destinationLocation(name) {
            return location
        }
        return FileLocation(path: path)
    }

    /// The entry `name` in the open directory being walked, when that directory holds it.
    func locationInWalkedDirectory(_ name: [UInt8]) -> FileLocation? {
        guard let directory = destinationDirectory, renamedSingleFile == nil, name != PathBytes.dot,
            PathBytes.isChild(name, of: directory.name)
        else { return nil }
        return FileLocation(PathBytes.lastComponent(name), in: directory.handle)
    }

    /// Opens the destination directory whose entries `walk` is about to examine. Nil where there is
    /// nothing to open and lookups go by path: a single file's destination, a directory a dry run has
    /// not made. A subdirectory is opened through the enclosing directory's handle, never through a
    /// symlink there (with `-K`, a kept link is followed: `KeptDirectoryLinks` has checked where it
    /// leads); the error when that fails (it was swapped for a symlink meanwhile, say).
    func openDestinationDirectory(_ relativeName: [UInt8], mayBeMissing: Bool = false, isUnsentImplied: Bool = false)
        throws(SystemCallError) -> (name: [UInt8], handle: any DirectoryHandle)?
    {
        let name = relativeName.isEmpty ? PathBytes.dot : relativeName
        if renamedSingleFile != nil { return nil }
        if let missing = dryRunMissingBelow, DirectoryRuleTracker.isAncestor(missing, of: name) { return nil }
        do throws(SystemCallError) {
            if let location = locationInWalkedDirectory(name) {
                // --no-implied-dirs uses an existing path element as it is, a symlink included (rsync's
                // documented behaviour), as long as it leads inside the destination.
                let follows = options.keepDirLinks
                    || (isUnsentImplied && keptLinks.leadsInside(destinationPath(name), root: destinationRoot))
                do throws(SystemCallError) { return (name, try fs.openDirectory(location, followingSymlink: follows)) } catch {
                    // A symlink not followed is ELOOP to rsync's resolver (O_NOFOLLOW with O_DIRECTORY says ENOTDIR).
                    guard error.errno == SystemErrno.notDirectory,
                        (try? fs.lstat(location.name, in: location.directory))?.kind == .symlink
                    else { throw error }
                    var refusal = error
                    (refusal.errno, refusal.errnoText) = KeptDirectoryLinks<FS>.refusal
                    throw refusal
                }
            }
            // The root (again under the operator-path rule: its path may have changed since the check),
            // or a directory below an enclosing one that is not made yet.
            let path = destinationPath(name)
            return (name, name == PathBytes.dot ? try fs.openOperatorDirectory(path, confined: false) : try fs.openDirectory(path))
        } catch {
            // A dry run writes nothing (what it would replace is looked up by path); a full-path mode
            // directory is made only once something inside is sent.
            if options.dryRun || (mayBeMissing && error.errno == SystemErrno.noSuchEntry) { return nil }
            throw error
        }
    }

    /// A destination directory that could not be opened for its entries: each is reported as rsync's
    /// generator reports a path it cannot stat (exit 23) and skipped, with what lies below, rather than
    /// reached by a path that may now lead elsewhere.
    func skipEntries(of listing: FileListBuilder<FS>.Listing, in relativeName: [UInt8], because failure: SystemCallError) {
        for entry in listing.entries {
            entriesDone += 1
            countUnvisited(entry)
            let path = OutputEscaper.escape(fs.absolute(destinationPath(entry.name)), highBytes: options.highBytes)
            fail("[generator] recv_generator: failed to stat \"\(path)\": \(failure.errnoText) (\(failure.errno))")
            if entry.isDirectory && listing.descends(into: entry, recursive: options.recursive) {
                fileList?.skipSubtree(recursive: options.recursive) { acceptUnvisited($0) }
            }
        }
    }

    /// `--no-implied-dirs`: a path element of a `-R` source is not sent; it is made (with default
    /// permissions, silently) only when the destination lacks it, and an existing one is left alone.
    func makeUnsentImpliedDirectory(_ entry: FileEntry) -> DirectoryState? {
        let path = destinationPath(entry.name)
        if let existing = try? fs.stat(path) {
            if existing.kind == .directory { return DirectoryState(isNew: false) }
            fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), highBytes: options.highBytes))\" failed: File exists (17)")
            return nil
        }
        if !options.dryRun {
            do { try makeDirectoryUnlessPresent(destinationLocation(path, name: entry.name), permissions: 0o777) } catch {
                fail("[generator] recv_generator: mkdir \"\(OutputEscaper.escape(fs.absolute(path), highBytes: options.highBytes))\" failed: \(error.errnoText) (\(error.errno))")
                return nil
            }
        }
        return DirectoryState(isNew: true)
    }

    /// Sets a directory's final permissions and time once its contents are written.
    func finishDirectory(_ entry: FileEntry, isNew: Bool) {
        if !isLinkingLateMembers && hardLinkGroups.directoriesWithLateLinks.contains(entry.name) {
            directoriesToRefinish.append((entry, isNew))
        }
        if !delayedUpdates.isEmpty && directoriesWithDelayedUpdates.contains(entry.name) {
            directoriesToRetouch.append((entry, isNew))
        }
        guard !options.dryRun else { return }
        let path = destinationPath(entry.name)
        let location = destinationLocation(path, name: entry.name)
        guard let current = try? fs.lstat(location.name, in: location.directory) else { return }
        if current.kind == .symlink && options.keepDirLinks {
            // -K: a kept link gets the directory's time itself (rsync sets it without following).
            if check.keepsTime(.directory) && current.mtime != entry.status.mtime {
                warn(receiver.finishAttributes(role: .generator, location, permissions: nil, owner: (nil, nil), mtime: entry.status.mtime,
                    isSymlink: true))
            }
            return
        }
        guard current.kind == .directory else { return }
        if directoriesWithFailedTimes.contains(entry.name) {
            // rsync's touch-up of a directory whose attributes failed before is silent.
            if check.keepsTime(.directory) && current.mtime != entry.status.mtime {
                _ = receiver.finishAttributes(role: .generator, location, permissions: nil, owner: (nil, nil),
                    mtime: entry.status.mtime)
            }
            return
        }
        var permissions = directoriesOpenedForWriting.removeValue(forKey: entry.name)
            ?? destinationPermissions(source: entry.status, existing: isNew ? nil : current)
        // rsync: without -p, a directory just made in a setgid parent keeps the setgid bit it inherited.
        if isNew && !options.perms && current.mode & 0o2000 != 0 { permissions |= 0o2000 }
        if current.permissions != permissions {
            warn(receiver.finishAttributes(role: .generator, location, permissions: permissions, owner: (nil, nil),
                mtime: nil))
        }
        if check.keepsTime(.directory) && current.mtime != entry.status.mtime {
            warn(receiver.finishAttributes(role: .generator, location, permissions: nil, owner: (nil, nil),
                mtime: entry.status.mtime))
        }
        if !isNew { settleAttributes(location) }
    }

    // MARK: Non-directories

    /// -K: an entry directly inside a kept symlink that leads outside the destination is refused with
    /// rsync's ELOOP errors (exit 23); a directory's contents are skipped with it.
    func isBelowLinkLeadingOutside(_ entry: FileEntry) -> Bool {
        guard !linksLeadingOutside.isEmpty, linksLeadingOutside.contains(PathBytes.parent(entry.name)) else {
            return false
        }
        let shown = OutputEscaper.escape(fs.absolute(destinationPath(entry.name)), highBytes: options.highBytes)
        let refusal = "\(KeptDirectoryLinks<FS>.refusal.text) (\(KeptDirectoryLinks<FS>.refusal.errno))"
        switch entry.kind {
        case .directory:
            fail("[generator] recv_generator: mkdir \"\(shown)\" failed: \(refusal)")
            observer.error(.bare("*** Skipping any contents from this failed directory ***"))
            report(entry, flags: [.localChange, .isNew])  // rsync itemizes it all the same
        case .symlink:
            let target = OutputEscaper.escape(entry.symlinkTarget ?? [], highBytes: options.highBytes)
            fail("[generator] symlink \"\(shown)\" -> \"\(target)\" failed: \(refusal)")
        default:
            fail("[generator] recv_generator: failed to stat \"\(shown)\": \(refusal)")
        }
        return true
    }
}
