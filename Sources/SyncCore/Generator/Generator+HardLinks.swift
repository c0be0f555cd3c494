/// `-H`: linking the members of a hard-link group to the member whose data was sent (its leader).
extension Generator {
    /// -H: transfers the leaders of groups with links outside the transfer, then links every held-back
    /// member to its leader, and sets the time again on the directories that gained links.
    func linkLateMembers() {
        isLinkingLateMembers = true
        for group in hardLinkGroups.takeLeaderlessGroups() {
            processRegular(group.members[0])
            hardLinkGroups.addLateLinks(Array(group.members.dropFirst()), key: group.key)
        }
        drainWrites()
        // The leaders' data must be in place before anything is linked to it.
        installDelayedUpdates()
        for group in hardLinkGroups.takeLateLinks() {
            guard let leader = hardLinkLeaders[group.key] else { continue }
            for member in group.members {
                linkToLeader(member, leader: leader, existing: lstatBelowRoot(member.name))
            }
        }
        drainWrites()
        for directory in directoriesToRefinish { finishDirectory(directory.entry, isNew: directory.isNew) }
    }

    /// -H: `entry` is its group's leader. Members waiting for it are linked now, or, when its data is
    /// still being written, at the end of the run.
    func becomeLeader(_ entry: FileEntry, key: HardLinkGroups.Key, isSent: Bool) {
        hardLinkLeaders[key] = entry.name
        if isSent && options.delayUpdates && !options.dryRun { leadersWithDelayedData.insert(key) }
        let waiting = hardLinkGroups.takeWaiting(key)
        guard !waiting.isEmpty else { return }
        if isSent && !options.dryRun {
            hardLinkGroups.addLateLinks(waiting, key: key)
        } else {
            for member in waiting { linkToLeader(member, leader: entry.name, existing: lstatBelowRoot(member.name)) }
        }
    }

    func linkToLeader(_ entry: FileEntry, leader: [UInt8], existing: FileStatus?) {
        drainWrites()
        let path = destinationPath(entry.name)
        // The leader is reached below the destination root's handle, no symlink followed on the way.
        let leaderLocation = deleter.destinationLocation(leader)
        var existing = existing
        if let current = existing, let leaderLocation,
            let leaderStatus = try? fs.lstat(leaderLocation.name, in: leaderLocation.directory),
            current.inode == leaderStatus.inode && current.device == leaderStatus.device
        {
            // Already linked: rsync's itemize without the leader's name (shown with -ii, or -i with -vv).
            observer.report(makeItem(entry, flags: [.localChange, .hardLinkName]))
            noteUpToDate(entry)
            received(entry)
            return
        }
        var flags: ItemizeFlags = [.localChange, .hardLinkName]
        if let current = existing {
            if current.kind == .regular {
                flags.formUnion(check.attributeFlags(source: entry, destination: current, localChange: false))
                // rsync's itemize: without -t, a local change to an existing file shows its time as changed.
                if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
            } else {
                flags.insert(.isNew)
            }
            guard makeWay(path, existing: current, for: entry) else { return }
            existing = nil
        } else {
            stats.created.add(.regular)
            switch referenceStandIn(for: entry, leader: leader, at: leaderLocation) {
            case .none:
                flags.insert(.isNew)
            case .leadersInode:
                // rsync's hard_link_check: the --link-dest copy is the leader's own inode, so the new link is
                // no change, itemized only with -ii or -i and -vv.
                if !options.outputItemizes || (options.nameLevel < 2 && options.itemize < 2) {
                    flags = []
                    noteUpToDate(entry)
                }
            case .sameData(let attributes):
                // A --compare-dest/--copy-dest copy with the source's data stands for what is there.
                flags.formUnion(attributes)
                if !check.keepsTime(.regular) { flags.formUnion([.reportTime, .timeIsTransferTime]) }
            }
        }
        if !options.dryRun {
            do throws(SystemCallError) {
                guard let leaderLocation else {
                    throw SystemCallError(call: "link", path: path, errno: SystemErrno.noSuchEntry,
                        errnoText: "No such file or directory")
                }
                try fs.makeHardLink(destinationLocation(path, name: entry.name), to: leaderLocation)
            } catch {
                fail("[receiver] \(error.describing(call: "link"))")
                return
            }
        }
        guard !flags.isEmpty else {
            received(entry)
            return
        }
        var item = makeItem(entry, flags: flags)
        item.hardLinkLeader = leader
        observer.report(item)
        received(entry)
    }

    /// What a reference directory holds under a new member's name, as rsync's `hard_link_check` looks:
    /// with `--link-dest` the leader's own inode, otherwise a regular file with the source's data (the first
    /// with every attribute, else the last), whose attributes the link is then itemized against.
    enum ReferenceStandIn {
        case none
        case leadersInode
        case sameData(attributes: ItemizeFlags)
    }

    func referenceStandIn(for entry: FileEntry, leader: [UInt8], at leaderLocation: FileLocation?) -> ReferenceStandIn {
        guard !references.isEmpty else { return .none }
        if options.alternateDestinationKind == .link {
            // The leader's inode: in the destination, or (a dry run links nothing) in each reference directory.
            let placed = leaderLocation.flatMap { try? fs.lstat($0.name, in: $0.directory) }
            let referenced = placed == nil ? references.statuses(of: leader) : []
            for (index, member) in references.statuses(of: entry.name).enumerated() {
                guard let member, let leaderStatus = placed ?? referenced[index] else { continue }
                if member.inode == leaderStatus.inode && member.device == leaderStatus.device { return .leadersInode }
            }
            return .none
        }
        var last: ItemizeFlags?
        for candidate in references.sameData(as: entry) {
            if ReferenceDirectories<FS>.matches(candidate.attributes) { return .sameData(attributes: candidate.attributes) }
            last = candidate.attributes
        }
        return last.map { .sameData(attributes: $0) } ?? .none
    }

    /// The destination entry `name`'s lstat, through handles opened below the root.
    func lstatBelowRoot(_ name: [UInt8]) -> FileStatus? {
        deleter.destinationLocation(name).flatMap { try? fs.lstat($0.name, in: $0.directory) }
    }
}
