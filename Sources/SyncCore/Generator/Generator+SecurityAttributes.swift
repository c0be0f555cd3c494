/// `-X` and `-A` in the generator: the itemize `x` and `a` columns for an entry that exists, and the
/// attributes each write or attribute-only change carries. Without either option nothing is read.
extension Generator {
    /// Adds the `a`/`x` columns for the destination entry at `location` (whose status is `existing`)
    /// against `entry`. rsync sets the attributes of an entry that needs no data before it itemizes
    /// it (`attributesSetFirst`), and an access ACL rewritten that way has given the mode its permission
    /// bits: no `p` then, unless the special bits differ too, or in a dry run, which writes nothing.
    func addSecurityFlags(_ flags: inout ItemizeFlags, _ entry: FileEntry, at location: FileLocation,
        existing: FileStatus, attributesSetFirst: Bool = true)
    {
        let rules = receiver.securityRules
        guard rules.isActive, entry.kind != .symlink else { return }
        let (current, failure) = receiver.destinationSecurityAttributes(location, kind: entry.kind)
        if let failure { fail(failure) }
        flags.formUnion(rules.differences(source: entry.securityAttributes, destination: current, kind: entry.kind))
        if attributesSetFirst, !options.dryRun, flags.contains(.reportPerms),
            rules.rewritesAccessACL(source: entry.securityAttributes, destination: current, kind: entry.kind),
            destinationPermissions(source: entry.status, existing: existing) & 0o7000 == existing.permissions & 0o7000
        {
            flags.remove(.reportPerms)
        }
    }

    /// What a write or attribute change of `entry` sets besides owner, mode and time; nil without -X/-A.
    func securityChange(_ entry: FileEntry, mode: UInt32) -> SecurityChange? {
        guard receiver.securityRules.isActive, entry.kind != .symlink else { return nil }
        return SecurityChange(kind: entry.kind, attributes: entry.securityAttributes, mode: mode)
    }

    /// Gives an entry made here (a directory, a device) its source's attributes.
    func applySecurityAttributes(_ entry: FileEntry, at location: FileLocation, mode: UInt32) {
        guard !options.dryRun, let change = securityChange(entry, mode: mode) else { return }
        warn(receiver.applySecurityAttributes(location, kind: change.kind, source: change.attributes, mode: mode))
    }
}
