/// `--fake-super`'s records, in rsync's own formats so that either tool reads what the other wrote: what a
/// super-user would have set on an entry (its type and mode, device numbers, owner and group) kept in the
/// `user.rsync.%stat` extended attribute, and its ACLs in `user.rsync.%aacl` and `user.rsync.%dacl`.
public struct FakeSuperRecord: Sendable, Equatable {
    /// The full `st_mode`, type bits included (a device or symlink is stored as a plain file).
    public var mode: UInt32
    /// The device number (`dev_t`) of a device; 0 otherwise.
    public var rdev: UInt64
    public var uid: UInt32
    public var gid: UInt32

    public init(mode: UInt32, rdev: UInt64, uid: UInt32, gid: UInt32) {
        self.mode = mode
        self.rdev = rdev
        self.uid = uid
        self.gid = gid
    }

    public static let statName = Array("user.rsync.%stat".utf8)
    public static let accessACLName = Array("user.rsync.%aacl".utf8)
    public static let defaultACLName = Array("user.rsync.%dacl".utf8)
    /// The prefix a name outside the `user.` namespace is stored under (`trusted.x` as `user.rsync.trusted.x`).
    public static let namespacePrefix = Array("user.rsync.".utf8)
    static let userPrefix = Array("user.".utf8)

    /// rsync's text: the mode in octal, `major,minor`, `uid:gid` (`100644 0,0 1000:1000`).
    public var encoded: [UInt8] {
        let major = DeviceNumber.major(rdev), minor = DeviceNumber.minor(rdev)
        return Array("\(String(mode, radix: 8)) \(major),\(minor) \(uid):\(gid)".utf8)
    }

    /// The record in `bytes`; nil when it is not one (rsync calls such a value corrupt).
    public init?(decoding bytes: [UInt8]) {
        let fields = bytes.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count == 3,
            let mode = UInt32(String(decoding: fields[0], as: UTF8.self), radix: 8)
        else { return nil }
        let device = fields[1].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        let owner = fields[2].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard device.count == 2, owner.count == 2,
            let major = UInt32(String(decoding: device[0], as: UTF8.self)),
            let minor = UInt32(String(decoding: device[1], as: UTF8.self)),
            let uid = UInt32(String(decoding: owner[0], as: UTF8.self)),
            let gid = UInt32(String(decoding: owner[1], as: UTF8.self))
        else { return nil }
        self.init(mode: mode, rdev: DeviceNumber.make(major: major, minor: minor), uid: uid, gid: gid)
    }

    /// The name a fake super-user stores `name` under: `user.` names as they are, others below `user.rsync.`.
    public static func storedName(_ name: [UInt8]) -> [UInt8] {
        name.starts(with: userPrefix) ? name : namespacePrefix + name
    }

    /// The name an attribute stored as `stored` stands for; nil for the records themselves, which are
    /// never listed as attributes of their own.
    public static func listedName(_ stored: [UInt8]) -> [UInt8]? {
        if stored == statName || stored == accessACLName || stored == defaultACLName { return nil }
        guard stored.starts(with: namespacePrefix), stored.count > namespacePrefix.count,
            stored[namespacePrefix.count] != UInt8(ascii: "%")
        else { return stored }
        return Array(stored[namespacePrefix.count...])
    }
}

/// rsync's binary form of an ACL under `--fake-super`: four little-endian 32-bit words (the owner's, the
/// owning group's, the mask's and the others' permissions, 0x80 for an entry left out), then each named
/// entry as its id and its permissions, the top bit set for a user. An access ACL leaves out what the mode
/// says, as rsync's receiver stores it: the owner and others always, the owning group when it equals the
/// mask (the mode's group bits) or there is no mask.
public enum FakeSuperACLFormat {
    static let absent: UInt32 = 0x80
    static let nameIsUser: UInt32 = 1 << 31

    /// `list` as a record; an access ACL is the one a file gets (`applying(mode:)`), whose mask is the mode's
    /// group bits.
    public static func encode(_ list: AccessControlList, kind: AccessControlListKind) -> [UInt8] {
        func word(_ tag: AccessControlList.Tag) -> UInt32 { list.permissions(of: tag).map(UInt32.init) ?? absent }
        var user = word(.userObject), group = word(.groupObject), other = word(.other)
        let mask = word(.mask)
        if kind == .access {
            (user, other) = (absent, absent)
            if mask == absent || group == mask { group = absent }
        }
        var bytes: [UInt8] = []
        for value in [user, group, mask, other] { append(value, to: &bytes) }
        for entry in list.namedEntries {
            append(entry.id, to: &bytes)
            append(UInt32(entry.permissions) | (entry.tag == .user ? nameIsUser : 0), to: &bytes)
        }
        return bytes
    }

    /// The ACL in `bytes`; what was left out comes from `mode` (the mode a super-user would have set), as
    /// rsync fills it in. nil when the length is not a whole record.
    public static func decode(_ bytes: [UInt8], mode: UInt32) -> AccessControlList? {
        guard bytes.count >= 16, (bytes.count - 16) % 8 == 0 else { return nil }
        func word(_ offset: Int) -> UInt32 {
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        func bits(_ value: UInt32, orMode shift: UInt32) -> UInt8 {
            UInt8(value == absent ? (mode >> shift) & 7 : value & 7)
        }
        var entries: [AccessControlList.Entry] = [
            .init(.userObject, bits(word(0), orMode: 6)),
            .init(.groupObject, bits(word(4), orMode: 3)),
            .init(.other, bits(word(12), orMode: 0)),
        ]
        var offset = 16
        while offset < bytes.count {
            let id = word(offset), access = word(offset + 4)
            entries.append(.init(access & nameIsUser != 0 ? .user : .group, UInt8(access & 7), id: id))
            offset += 8
        }
        if word(8) != absent || entries.count > 3 { entries.append(.init(.mask, bits(word(8), orMode: 3))) }
        return AccessControlList(entries)
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}

/// glibc's `dev_t` layout: the major and minor numbers of a device.
public enum DeviceNumber {
    public static func major(_ device: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: ((device >> 8) & 0xFFF) | ((device >> 32) & ~UInt64(0xFFF)))
    }
    public static func minor(_ device: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (device & 0xFF) | ((device >> 12) & ~UInt64(0xFF)))
    }
    public static func make(major: UInt32, minor: UInt32) -> UInt64 {
        let major = UInt64(major), minor = UInt64(minor)
        return ((major & 0xFFF) << 8) | ((major & ~0xFFF) << 32) | (minor & 0xFF) | ((minor & ~0xFF) << 12)
    }
}
