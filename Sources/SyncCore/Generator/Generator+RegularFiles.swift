/// The generator's regular files: rsync's `recv_generator` decisions for one file (size limits, `-u`,
/// `--existing`, the quick check, reference directories, `-H`), ending in a transfer or an itemize line.
extension Generator {
    /// `--write-devices`: a device in the destination is compared and written as a regular file as long as
    /// the device (rsync's `get_device_size` when its own size is 0).
    func deviceAsFile(_ device: FileStatus, at location: FileLocation) -> FileStatus {
        var status = device
        status.mode = 0o100000 | device.permissions
        if status.size == 0, let length = try? fs.openForReading(location).size() { status.size = length }
        return status
    }

    func processRegular(_ entry: FileEntry) {
        if isBelowLinkLeadingOutside(entry) { return }
        let path = destinationPath(entry.name)
        var existing = destinationStatus(path, name: entry.name)
        if options.writeDevices, let current = existing, current.kind.isDevice {
            existing = deviceAsFile(current, at: destinationLocation(path, name: entry.name))
        }

        if skipsForExistence(entry, existing: existing, at: path) { return }
        if let maxSize = options.maxSize, entry.status.size > maxSize {
            skipNotice("\(shownName(entry)) is over max-size")
            return
        }
        if let minSize = options.minSize, entry.status.size < minSize {
            skipNotice("\(shownName(entry)) is under min-size")
            return
        }
        if options.update, let current = existing, current.kind == .regular,
            check.destinationIsNewer(source: entry.status.mtime, destination: current.mtime)
        {
            skipNotice("\(shownName(entry)) is newer")
            return
        }

        var hardLinkKey: HardLinkGroups.Key?
        if options.hardLinks && entry.status.linkCount > 1 {
            let key = HardLinkGroups.Key(device: entry.status.device, inode: entry.status.inode)
            if !isLinkingLateMembers { hardLinkGroups.meet(key) }
            if let leader = hardLinkLeaders[key] {
                if !isLinkingLateMembers && leadersWithDelayedData.contains(key) {
                    hardLinkGroups.addLateLinks([entry], key: key)
                } else {
                    linkToLeader(entry, leader: leader, existing: existing)
                }
                return
            }
            hardLinkKey = key
        }
        // -H: a member with nothing to send against waits for its group's last member (see HardLinkGroups).
        var waitsForLeader = false
        // A member left out for its --compare-dest copy leads nothing: the next one is handled as the first.
        var isLeftOut = false
        var isSent = false
        func sendsOrWaits() -> Bool {
            guard let hardLinkKey, !isLinkingLateMembers, !hardLinkGroups.isLastMember(entry, key: hardLinkKey) else {
                isSent = true
                return false
            }
            hardLinkGroups.wait(entry, key: hardLinkKey)
            // Linked (and reported as received), or sent as a leaderless group's leader, at the end.
            releaseTracker?.hold(entry.fileIndex)
            waitsForLeader = true
            return true
        }
        defer {
            if let hardLinkKey, !waitsForLeader, !isLeftOut { becomeLeader(entry, key: hardLinkKey, isSent: isSent) }
        }

        if let current = existing, current.kind != .regular {
            guard makeWay(path, existing: current, for: entry) else { return }
            existing = nil
        }

        // rsync: with --compare-dest, a file identical to the reference copy does not belong in the
        // destination (it holds only what differs), so an existing one is removed.
        if options.alternateDestinationKind == .compare, let current = existing, current.kind == .regular,
            references.exactMatch(for: entry) != nil
        {
            if !options.dryRun {
                do { try fs.removeFile(destinationLocation(path, name: entry.name)) } catch {
                    fail("[generator] \(error.describing(call: "unlink"))")
                    return
                }
            }
            report(entry, flags: [])
            isLeftOut = true
            return
        }
        // rsync: with --link-dest, an exact match in a reference dir replaces whatever the destination
        // holds, so the new snapshot shares the reference's inode even over an existing file.
        if options.alternateDestinationKind == .link, let current = existing, current.kind == .regular,
            let match = references.exactMatch(for: entry), match.status.inode != current.inode
                || match.status.device != current.device
        {
            if !options.dryRun {
                do { try receiver.replaceWithHardLink(path, to: match.path) } catch {
                    fail("[receiver] \(error.describing(call: "link"))")
                    return
                }
            }
            report(entry, flags: [.localChange, .hardLinkName])
            return
        }

        if let current = existing {
            var checksumDiffers = false
            let unchanged = check.isUnchanged(source: entry.status, destination: current) {
                let a = sourceChecksum(entry)
                let b = try? fs.openForReading(destinationLocation(path, name: entry.name)).checksum()
                checksumDiffers = a != b
                return (a, b)
            }
            var flags = check.attributeFlags(source: entry, destination: current, localChange: false)
            addSecurityFlags(&flags, entry, at: destinationLocation(path, name: entry.name), existing: current,
                attributesSetFirst: unchanged)
            if unchanged {
                applyAttributes(path, entry: entry, existing: current, flags: flags)
                reportUpToDate(entry, flags: flags)
                return
            }
            // --append: a destination at least as long as the source is left alone (rsync skips it).
            if options.append > 0 && current.size >= entry.status.size { return }
            // As rsync's generator, a member with a file in the destination is sent at once and leads its group;
            // only a missing one waits for the group's last member.
            isSent = true
            if checksumDiffers || options.checksum { flags.insert(.reportChange) }
            if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
            flags.insert(.transfer)
            fuzzyNoteChanging(entry)
            transfer(entry, to: path, existing: current, flags: flags)
            return
        }

        if !references.isEmpty {
            switch useReferenceFile(entry, path: path) {
            case .placed: return
            case .leftOut:
                isLeftOut = true
                return
            case .unused: break
            }
            // No exact match: rsync uses the reference file as the basis and itemizes against it.
            if let basis = references.candidate(for: entry, kind: .regular) {
                isSent = true  // a basis in a reference directory counts as one in the destination
                var flags = check.attributeFlags(source: entry, destination: basis.status, localChange: false)
                if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
                flags.insert(.transfer)
                // Without -p the new file takes the reference copy's mode, as rsync does.
                transfer(entry, to: path, existing: nil, flags: flags, modeFrom: basis.status)
                return
            }
        }
        if sendsOrWaits() { return }
        transfer(entry, to: path, existing: nil, flags: [.transfer, .isNew])
    }

    /// The source's whole-file checksum for `-c`, read through its listed directory.
    func sourceChecksum(_ entry: FileEntry) -> FileChecksum? {
        entry.sourceChecksum(fs: fs, followingSymlink: options.copyLinks || options.copyUnsafeLinks)
    }
}
