/// rsync's decision whether a destination file already matches its source (generator.c `quick_check_ok`),
/// and the attribute differences that `-i` reports (generator.c `itemize`).
public struct QuickCheck {
    public let options: SyncOptions
    /// What a new entry's permissions are masked with without `-p` (rsync's `dflt_perms`): the access bits
    /// the default ACL of the directory it goes into allows, else those the umask leaves.
    public var defaultPermissions: UInt32

    public init(options: SyncOptions) {
        self.options = options
        defaultPermissions = 0o777 & ~options.umask
    }

    /// rsync `same_time`: whole seconds by default, nanoseconds with `--modify-window=-1`, else a window.
    public func sameTime(_ a: FileTime, _ b: FileTime) -> Bool {
        if options.modifyWindow == 0 { return a.seconds == b.seconds }
        if options.modifyWindow < 0 { return a == b }
        let difference = a.seconds > b.seconds ? a.seconds - b.seconds : b.seconds - a.seconds
        return difference <= options.modifyWindow
    }

    /// `-u`: the destination file counts as newer, and is left alone, when the source's whole seconds are
    /// less than the modify window ahead of it (rsync's generator: `file->modtime - st_mtime <
    /// modify_window`). So a positive window skips equal and near-equal times even when the sizes differ,
    /// and `--modify-window=-1` skips only a destination more than a second newer.
    public func destinationIsNewer(source: FileTime, destination: FileTime) -> Bool {
        source.seconds &- destination.seconds < options.modifyWindow
    }

    /// Size and mtime (or `--size-only`, `-I`); `checksums` is consulted only for `-c` with equal sizes.
    public func isUnchanged(
        source: FileStatus, destination: FileStatus, checksums: () -> (FileChecksum?, FileChecksum?)
    ) -> Bool {
        guard source.size == destination.size else { return false }
        if options.checksum {
            let (a, b) = checksums()
            guard let a, let b else { return false }
            return a == b
        }
        if options.sizeOnly { return true }
        if options.ignoreTimes { return false }
        return sameTime(source.mtime, destination.mtime)
    }

    /// Whether times are preserved for this kind (`-t`, minus `-O` for directories, `-J` for symlinks).
    public func keepsTime(_ kind: FileKind) -> Bool {
        guard options.times else { return false }
        if kind == .directory { return !options.omitDirTimes }
        if kind == .symlink { return !options.omitLinkTimes }
        return true
    }

    /// `-U`: whether the access time is set for this kind: never a directory's, nor a symlink's under `-J`.
    public func keepsAccessTime(_ kind: FileKind) -> Bool {
        options.atimes > 0 && kind != .directory && !(kind == .symlink && options.omitLinkTimes)
    }

    /// The attribute columns of an itemize line for an entry that exists in the destination.
    public func attributeFlags(source: FileEntry, destination: FileStatus, localChange: Bool) -> ItemizeFlags {
        var flags: ItemizeFlags = []
        if source.kind == .regular && source.status.size != destination.size { flags.insert(.reportSize) }
        if keepsTime(source.kind) {
            if !sameTime(source.status.mtime, destination.mtime) { flags.insert(.reportTime) }
        } else if localChange {
            // The entry is rewritten without -t, so it gets the transfer time ("T").
            flags.formUnion([.reportTime, .timeIsTransferTime])
        }
        // rsync sets a symlink's access time but never reports it.
        if options.atimes > 0 && source.kind != .directory && source.kind != .symlink
            && source.status.atime != destination.atime
        {
            flags.insert(.reportAccessTime)
        }
        if source.kind != .symlink {
            if options.perms && source.status.permissions != destination.permissions {
                flags.insert(.reportPerms)
            } else if options.executability && !options.perms
                && (source.status.permissions & 0o111 != 0) != (destination.permissions & 0o111 != 0)
            {
                flags.insert(.reportPerms)
            }
        }
        if options.owner && options.isSuperUser && source.status.uid != destination.uid { flags.insert(.reportOwner) }
        // rsync's FLAG_SKIP_GROUP: without super-user rights a group this receiver is not in is neither
        // set nor reported.
        if options.group && source.status.gid != destination.gid
            && (options.isSuperUser || options.memberGroups?.contains(source.status.gid) != false)
        {
            flags.insert(.reportGroup)
        }
        return flags
    }

    /// The permission bits a destination file ends with (rsync `dest_mode`).
    public func destinationPermissions(source: FileStatus, existing: FileStatus?) -> UInt32 {
        destinationPermissions(source: source, existing: existing, defaultPermissions: defaultPermissions)
    }

    /// `destinationPermissions` with the directory's `defaultPermissions` given: the generator keeps them
    /// per directory itself, so that its `check` stays a constant it reads in place (a `var` struct in a
    /// class is copied, options and all, on every call).
    public func destinationPermissions(source: FileStatus, existing: FileStatus?, defaultPermissions: UInt32) -> UInt32 {
        if options.perms { return source.permissions }
        var mode: UInt32
        if let existing, existing.kind == source.kind {
            mode = existing.permissions
        } else {
            // rsync `dest_mode`: new entries keep only the access bits, masked by the umask (or default ACL).
            mode = source.permissions & defaultPermissions
        }
        if options.executability && source.kind == .regular {
            if source.permissions & 0o111 == 0 {
                mode &= ~0o111
            } else if mode & 0o111 == 0 {
                mode |= (mode & 0o444) >> 2
            }
        }
        return mode
    }
}
