/// A POSIX ACL (`acl(5)`): the entries as Linux stores them, in the kernel's order (by tag, then id).
public struct AccessControlList: Sendable, Equatable, Hashable {
    public enum Tag: UInt16, Sendable, Hashable, Comparable {
        // Linux's ACL_USER_OBJ ... ACL_OTHER values, which are also its order.
        case userObject = 0x01, user = 0x02, groupObject = 0x04, group = 0x08, mask = 0x10, other = 0x20
        public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }
    }

    public struct Entry: Sendable, Equatable, Hashable {
        public var tag: Tag
        /// rwx bits (0...7).
        public var permissions: UInt8
        /// The user or group of a named entry; 0 for the others.
        public var id: UInt32
        public init(_ tag: Tag, _ permissions: UInt8, id: UInt32 = 0) {
            self.tag = tag
            self.permissions = permissions & 7
            self.id = tag == .user || tag == .group ? id : 0
        }
        public var isNamed: Bool { tag == .user || tag == .group }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry]) {
        self.entries = entries.sorted { ($0.tag, $0.id) < ($1.tag, $1.id) }
    }

    func permissions(of tag: Tag) -> UInt8? { entries.first { $0.tag == tag }?.permissions }

    /// The mode's access bits this ACL stands for: the owner's, the mask's (or the owning group's), the others'.
    public var modeBits: UInt32 {
        let group = permissions(of: .mask) ?? permissions(of: .groupObject) ?? 0
        return UInt32(permissions(of: .userObject) ?? 0) << 6 | UInt32(group) << 3 | UInt32(permissions(of: .other) ?? 0)
    }
    public var namedEntries: [Entry] { entries.filter(\.isNamed) }
    public var hasMask: Bool { permissions(of: .mask) != nil }

    /// The ACL of the mode alone (its entries' bits come from `applying(mode:)`).
    public static let minimal: AccessControlList? = AccessControlList([
        Entry(.userObject, 0), Entry(.groupObject, 0), Entry(.other, 0),
    ])

    /// An access ACL that says no more than the mode does (no mask, no named entries).
    public var isMinimal: Bool { !hasMask && namedEntries.isEmpty }

    /// rsync's comparison of access ACLs (`rsync_acl_equal_enough`): what the mode does not carry. Both
    /// have a mask or neither; with one, the owning group's entry and the named entries must agree (the
    /// mask itself is the mode's group bits, compared as permissions). nil is the minimal ACL.
    public static func accessEquivalent(_ a: AccessControlList?, _ b: AccessControlList?) -> Bool {
        let a = a?.isMinimal == false ? a : nil
        let b = b?.isMinimal == false ? b : nil
        guard let a, let b else { return a == nil && b == nil }
        guard a.hasMask == b.hasMask else { return false }
        if a.hasMask && a.permissions(of: .groupObject) != b.permissions(of: .groupObject) { return false }
        return a.namedEntries == b.namedEntries
    }

    /// The access ACL a file with `mode` gets from this source ACL: the named entries and the owning
    /// group's as sent, the owner, mask (or group) and other entries from the mode, as `chmod` keeps them.
    public func applying(mode: UInt32) -> AccessControlList {
        let user = UInt8((mode >> 6) & 7), group = UInt8((mode >> 3) & 7), other = UInt8(mode & 7)
        var result: [Entry] = [Entry(.userObject, user), Entry(.other, other)]
        result += namedEntries
        if hasMask {
            result.append(Entry(.groupObject, permissions(of: .groupObject) ?? group))
            result.append(Entry(.mask, group))
        } else {
            result.append(Entry(.groupObject, group))
        }
        return AccessControlList(result)
    }

    /// The same ACL with each named entry's id passed through `map` (another machine's users and groups).
    public func mappingIDs(users: (UInt32) -> UInt32, groups: (UInt32) -> UInt32) -> AccessControlList {
        AccessControlList(entries.map { entry in
            switch entry.tag {
            case .user: Entry(.user, entry.permissions, id: users(entry.id))
            case .group: Entry(.group, entry.permissions, id: groups(entry.id))
            default: entry
            }
        })
    }
}

/// Which of a file's two ACLs.
public enum AccessControlListKind: Sendable {
    /// The ACL checked on access (every kind but symlinks).
    case access
    /// A directory's default ACL, inherited by what is created inside it.
    case `default`
}
