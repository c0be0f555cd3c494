/// What `-X`/`-XX` and `-A` ask of one run: what to read, how a destination entry differs from its
/// source (the itemize `x` and `a` columns), and the writes that make it match.
public struct SecurityAttributeRules: Sendable {
    /// nil: `-X` was not given.
    public var extendedAttributes: ExtendedAttributePolicy?
    public var acls: Bool

    public init(options: SyncOptions) {
        extendedAttributes = options.xattrs > 0
            ? ExtendedAttributePolicy(level: options.xattrs, isSuperUser: options.isSuperUser) : nil
        acls = options.acls
    }

    /// Neither option: nothing is ever read or written (the hot path of a plain run).
    public var isActive: Bool { extendedAttributes != nil || acls }

    /// What to read of an entry of `kind`. Symlinks carry none: Linux allows no `user.` names on them,
    /// and they have no ACLs.
    public func selection(for kind: FileKind) -> SecurityAttributeSelection {
        guard kind != .symlink else { return [] }
        var selection: SecurityAttributeSelection = []
        if extendedAttributes != nil { selection.insert(.extendedAttributes) }
        if acls {
            selection.insert(.accessACL)
            if kind == .directory { selection.insert(.defaultACL) }
        }
        return selection
    }

    /// The sender's view of what it read: the offered names, the ACLs as they are.
    public func listed(_ stored: StoredSecurityAttributes) -> SecurityAttributes? {
        let offered = extendedAttributes.map { $0.offered(stored.extendedAttributes ?? []) } ?? []
        return SecurityAttributes.unlessEmpty(SecurityAttributes(extendedAttributes: offered,
            accessACL: stored.accessACL ?? nil, defaultACL: stored.defaultACL ?? nil))
    }

    /// The itemize columns for a destination entry holding `destination` whose source listed `source`.
    public func differences(source: SecurityAttributes?, destination: StoredSecurityAttributes, kind: FileKind)
        -> ItemizeFlags
    {
        guard kind != .symlink else { return [] }
        var flags: ItemizeFlags = []
        if acls && aclWrites(source: source, destination: destination, kind: kind, mode: 0).isEmpty == false {
            flags.insert(.reportACL)
        }
        if let policy = extendedAttributes,
            !policy.writes(wanted: source?.extendedAttributes ?? [], current: destination.extendedAttributes ?? []).isEmpty
        {
            flags.insert(.reportExtendedAttributes)
        }
        return flags
    }

    /// True when the access ACL is rewritten, which sets the mode's permission bits as it goes.
    public func rewritesAccessACL(source: SecurityAttributes?, destination: StoredSecurityAttributes, kind: FileKind)
        -> Bool
    {
        acls && kind != .symlink && !AccessControlList.accessEquivalent(source?.accessACL, destination.accessACL ?? nil)
    }

    /// The writes that give the entry the source's attributes; `mode` is the permissions it ends with
    /// (an access ACL's owner, mask and other entries are those bits).
    public func writes(source: SecurityAttributes?, destination: StoredSecurityAttributes, kind: FileKind,
        mode: UInt32) -> [AttributeWrite]
    {
        guard kind != .symlink else { return [] }
        var writes: [AttributeWrite] = []
        if let policy = extendedAttributes {
            writes += policy.writes(wanted: source?.extendedAttributes ?? [], current: destination.extendedAttributes ?? [])
        }
        if acls { writes += aclWrites(source: source, destination: destination, kind: kind, mode: mode) }
        return writes
    }

    private func aclWrites(source: SecurityAttributes?, destination: StoredSecurityAttributes, kind: FileKind,
        mode: UInt32) -> [AttributeWrite]
    {
        var writes: [AttributeWrite] = []
        let current = destination.accessACL ?? nil
        if !AccessControlList.accessEquivalent(source?.accessACL, current) {
            // A minimal ACL is written too, not removed: as rsync's, the write gives the mode its bits.
            writes.append(.setACL(.access, (source?.accessACL ?? AccessControlList.minimal)?.applying(mode: mode)))
        }
        if kind == .directory, source?.defaultACL != (destination.defaultACL ?? nil) {
            writes.append(.setACL(.default, source?.defaultACL))
        }
        return writes
    }
}
