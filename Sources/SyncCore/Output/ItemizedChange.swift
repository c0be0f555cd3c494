/// The flags of one itemized change (rsync `rsync.h`, `ITEM_*`), rendered by `%i`.
public struct ItemizeFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let reportChange = ItemizeFlags(rawValue: 1 << 1)  // c: checksum or link target differs
    public static let reportSize = ItemizeFlags(rawValue: 1 << 2)  // s
    public static let reportTime = ItemizeFlags(rawValue: 1 << 3)  // t / T
    public static let reportPerms = ItemizeFlags(rawValue: 1 << 4)  // p
    public static let reportOwner = ItemizeFlags(rawValue: 1 << 5)  // o
    public static let reportGroup = ItemizeFlags(rawValue: 1 << 6)  // g
    public static let timeIsTransferTime = ItemizeFlags(rawValue: 1 << 7)  // T instead of t
    public static let hardLinkName = ItemizeFlags(rawValue: 1 << 8)  // h: "=> leader" follows
    public static let localChange = ItemizeFlags(rawValue: 1 << 9)  // c in the first column
    public static let transfer = ItemizeFlags(rawValue: 1 << 10)  // > in the first column
    public static let isNew = ItemizeFlags(rawValue: 1 << 11)  // +++++++++
    public static let reportACL = ItemizeFlags(rawValue: 1 << 12)  // a (-A)
    public static let reportExtendedAttributes = ItemizeFlags(rawValue: 1 << 13)  // x (-X)
    public static let reportAccessTime = ItemizeFlags(rawValue: 1 << 14)  // u (-U)

    /// Flags that make an item worth showing at `-i` (rsync `SIGNIFICANT_ITEM_FLAGS`).
    public static let significant: ItemizeFlags = [
        .reportChange, .reportSize, .reportTime, .reportPerms, .reportOwner, .reportGroup, .transfer, .isNew,
        .reportACL, .reportExtendedAttributes, .reportAccessTime,
    ]
}

/// One line's worth of news about a destination entry, from the generator or receiver to the output.
public struct ItemizedChange: Sendable {
    public var name: [UInt8]
    public var kind: FileKind
    public var flags: ItemizeFlags
    public var size: Int64
    public var mtime: FileTime
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    /// The symlink target, printed by `%L` as ` -> target`.
    public var symlinkTarget: [UInt8]?
    /// The hard-link leader, printed by `%L` as ` => leader`.
    public var hardLinkLeader: [UInt8]?
    /// Bytes that crossed from sender to receiver for this file (`%b`).
    public var bytesTransferred: Int64 = 0
    /// `%C`: the whole-file checksum of a file this run wrote, in hex (nil: not known, as for a directory).
    public var fileChecksum: String?
    /// Shown by the client of a push, which sent the data: rsync marks such transfers `<`, not `>`.
    public var isSentFromHere = false

    public init(
        name: [UInt8], kind: FileKind, flags: ItemizeFlags, size: Int64 = 0, mtime: FileTime = FileTime(seconds: 0),
        permissions: UInt32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
    ) {
        self.name = name
        self.kind = kind
        self.flags = flags
        self.size = size
        self.mtime = mtime
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
    }

    /// rsync's 11-character `%i` string, e.g. `>f.st......`, `cd+++++++++`, `hf          `.
    public var itemizeString: String {
        var c = [UInt8](repeating: UInt8(ascii: "."), count: 11)
        if flags.contains(.localChange) {
            c[0] = flags.contains(.hardLinkName) ? UInt8(ascii: "h") : UInt8(ascii: "c")
        } else if flags.contains(.transfer) {
            c[0] = isSentFromHere ? UInt8(ascii: "<") : UInt8(ascii: ">")
        } else {
            c[0] = UInt8(ascii: ".")
        }
        c[1] = kind.itemizeLetter
        if flags.contains(.isNew) {
            for i in 2..<11 { c[i] = UInt8(ascii: "+") }
        } else {
            if flags.contains(.reportChange) { c[2] = UInt8(ascii: "c") }
            if flags.contains(.reportSize) { c[3] = UInt8(ascii: "s") }
            if flags.contains(.reportTime) {
                c[4] = flags.contains(.timeIsTransferTime) ? UInt8(ascii: "T") : UInt8(ascii: "t")
            }
            if flags.contains(.reportPerms) { c[5] = UInt8(ascii: "p") }
            if flags.contains(.reportOwner) { c[6] = UInt8(ascii: "o") }
            if flags.contains(.reportGroup) { c[7] = UInt8(ascii: "g") }
            if flags.contains(.reportAccessTime) { c[8] = UInt8(ascii: "u") }
            if flags.contains(.reportACL) { c[9] = UInt8(ascii: "a") }
            if flags.contains(.reportExtendedAttributes) { c[10] = UInt8(ascii: "x") }
            // Nothing changed: rsync shows blanks, except for a transfer (">f.........").
            if !flags.contains(.transfer) && c[2...].allSatisfy({ $0 == UInt8(ascii: ".") }) {
                for i in 2..<11 { c[i] = UInt8(ascii: " ") }
            }
        }
        return String(decoding: c, as: UTF8.self)
    }

    /// The name as `%n` prints it: directories get a trailing slash.
    public var displayName: [UInt8] {
        if kind == .directory && name.last != UInt8(ascii: "/") { return name + [UInt8(ascii: "/")] }
        return name
    }
}
