/// One extended attribute: its full name with the namespace (`user.comment`) and its value.
public struct ExtendedAttribute: Sendable, Equatable, Hashable {
    public var name: [UInt8]
    public var value: [UInt8]
    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// Which extended attributes a run copies (`-X`, `-XX`), by namespace, as rsync 3.5 decides on Linux:
///
/// - the sender offers every name but the `system.` namespace (ACLs travel as ACLs, with `-A`);
/// - a receiver without super-user rights keeps only the `user.` namespace, and looks only at that
///   namespace in the destination (what it compares, what it removes);
/// - a super-user receiver keeps and manages everything but `system.` (`trusted.`, `security.`);
/// - rsync's own `user.rsync.%…` names (its `--fake-super` records) are offered and kept only with `-XX`,
///   but a receiver still counts them in the destination, so a plain `-X` removes them there.
public struct ExtendedAttributePolicy: Sendable {
    /// How many times `-X` was given (0: xattrs are not copied).
    public var level: Int
    public var isSuperUser: Bool

    public init(level: Int, isSuperUser: Bool) {
        self.level = level
        self.isSuperUser = isSuperUser
    }

    static let userPrefix = Array("user.".utf8)
    static let systemPrefix = Array("system.".utf8)
    static let rsyncInternalPrefix = Array("user.rsync.%".utf8)

    /// The sender lists `name` (a source attribute) in the file list.
    public func isOffered(_ name: [UInt8]) -> Bool {
        if name.starts(with: Self.systemPrefix) { return false }
        return level >= 2 || !name.starts(with: Self.rsyncInternalPrefix)
    }

    /// The receiver keeps `name` from the file list.
    public func isKept(_ name: [UInt8]) -> Bool {
        isManaged(name) && (level >= 2 || !name.starts(with: Self.rsyncInternalPrefix))
    }

    /// The receiver compares and may remove `name` in the destination.
    public func isManaged(_ name: [UInt8]) -> Bool {
        isSuperUser ? !name.starts(with: Self.systemPrefix) : name.starts(with: Self.userPrefix)
    }

    /// What the sender offers of an entry's attributes, sorted by name (the order they travel in).
    public func offered(_ attributes: [ExtendedAttribute]) -> [ExtendedAttribute] {
        attributes.filter { isOffered($0.name) }.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// The writes that give a destination holding `current` exactly the source's `wanted` attributes
    /// (within the managed namespaces): set what is missing or different, remove what the source lacks.
    public func writes(wanted: [ExtendedAttribute], current: [ExtendedAttribute]) -> [AttributeWrite] {
        let kept = wanted.filter { isKept($0.name) }
        var existing: [[UInt8]: [UInt8]] = [:]
        for attribute in current where isManaged(attribute.name) { existing[attribute.name] = attribute.value }
        var writes: [AttributeWrite] = []
        for attribute in kept where existing[attribute.name] != attribute.value {
            writes.append(.setExtendedAttribute(attribute))
        }
        let keptNames = Set(kept.map(\.name))
        for attribute in current where isManaged(attribute.name) && !keptNames.contains(attribute.name) {
            writes.append(.removeExtendedAttribute(attribute.name))
        }
        return writes
    }
}
