import SyncCore

/// `-X`/`-A` in a file-list entry (see Docs/protocol.md, "Extended attributes and ACLs"):
///
///     xattrs (entry flag 0x40): varint count · per attribute: varint name length · name
///                               · varint value length · value        (sorted by name, no duplicates)
///     ACLs   (entry flag 0x80): u8 which (0x01 access · 0x02 default) · per ACL present:
///                               varint entry count · per entry: u8 tag · u8 rwx · [named: varint id]
///
/// The peer is untrusted: every count and length is bounded before anything is allocated (Linux's own
/// limits: a name of at most 255 bytes, a value of at most 64 KiB), the whole entry's attributes too,
/// and an ACL must be one the kernel would take (one owner, group and other entry, a mask when there
/// are named entries, no id named twice).
public enum SecurityAttributesCodec {
    public static let maxNameLength = 255
    public static let maxValueLength = 64 * 1024
    public static let maxAttributesPerEntry = 1024
    /// Names and values of one entry together; the sender leaves out the attributes of an entry that
    /// has more (with an error), so an entry always fits one frame.
    public static let maxBytesPerEntry = 128 * 1024
    public static let maxACLEntries = 1024

    static let hasAccessACL: UInt8 = 0x01
    static let hasDefaultACL: UInt8 = 0x02

    /// The bytes of `attributes`' names and values, as `maxBytesPerEntry` counts them.
    public static func size(of attributes: [ExtendedAttribute]) -> Int {
        attributes.reduce(0) { $0 + $1.name.count + $1.value.count }
    }

    static func encodeExtendedAttributes(_ attributes: [ExtendedAttribute], into w: inout PayloadWriter) {
        w.varint(attributes.count)
        for attribute in attributes {
            w.blob(attribute.name)
            w.blob(attribute.value)
        }
    }

    static func decodeExtendedAttributes(_ r: inout PayloadReader) throws(ProtocolError) -> [ExtendedAttribute] {
        let count = try r.varint("xattr count", max: maxAttributesPerEntry)
        // Each takes at least three bytes (two lengths, a one-byte name).
        guard count <= r.remaining / 3 else { throw .truncated("xattrs (\(count) announced in \(r.remaining) bytes)") }
        var attributes: [ExtendedAttribute] = []
        attributes.reserveCapacity(count)
        var total = 0
        for _ in 0..<count {
            let name = try r.blob("xattr name", max: maxNameLength)
            guard !name.isEmpty, !name.contains(0) else { throw .malformed("xattr name empty or with a NUL byte") }
            if let previous = attributes.last, !previous.name.lexicographicallyPrecedes(name) {
                throw .malformed("xattr names out of order or repeated")
            }
            let value = try r.blob("xattr value", max: maxValueLength)
            total += name.count + value.count
            guard total <= maxBytesPerEntry else { throw .limit("xattrs of one entry: more than \(maxBytesPerEntry) bytes") }
            attributes.append(ExtendedAttribute(name: name, value: value))
        }
        return attributes
    }

    static func encodeACLs(access: AccessControlList?, default defaultACL: AccessControlList?, into w: inout PayloadWriter) {
        w.byte((access != nil ? hasAccessACL : 0) | (defaultACL != nil ? hasDefaultACL : 0))
        for list in [access, defaultACL] {
            guard let list else { continue }
            w.varint(list.entries.count)
            for entry in list.entries {
                w.byte(UInt8(entry.tag.rawValue))
                w.byte(entry.permissions)
                if entry.isNamed { w.varint(UInt64(entry.id)) }
            }
        }
    }

    static func decodeACLs(_ r: inout PayloadReader, isDirectory: Bool) throws(ProtocolError)
        -> (access: AccessControlList?, default: AccessControlList?)
    {
        let which = try r.byte("ACL presence")
        guard which & ~(hasAccessACL | hasDefaultACL) == 0 else { throw .malformed("ACL presence 0x\(String(which, radix: 16))") }
        if which & hasDefaultACL != 0 && !isDirectory { throw .malformed("default ACL on a non-directory") }
        let access = which & hasAccessACL != 0 ? try decodeACL(&r) : nil
        let defaultACL = which & hasDefaultACL != 0 ? try decodeACL(&r) : nil
        return (access, defaultACL)
    }

    static func decodeACL(_ r: inout PayloadReader) throws(ProtocolError) -> AccessControlList {
        let count = try r.varint("ACL entry count", max: maxACLEntries)
        guard count <= r.remaining / 2 else { throw .truncated("ACL (\(count) entries announced in \(r.remaining) bytes)") }
        var entries: [AccessControlList.Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let rawTag = try r.byte("ACL tag")
            guard let tag = AccessControlList.Tag(rawValue: UInt16(rawTag)) else { throw .malformed("ACL tag 0x\(String(rawTag, radix: 16))") }
            let permissions = try r.byte("ACL permissions")
            guard permissions <= 7 else { throw .malformed("ACL permissions \(permissions)") }
            let id = tag == .user || tag == .group ? try r.uint32("ACL id") : 0
            entries.append(AccessControlList.Entry(tag, permissions, id: id))
        }
        let list = AccessControlList(entries)
        try validate(list)
        return list
    }

    /// The kernel's rules for an ACL (`posix_acl_valid`): one owner, owning group and other entry, at
    /// most one mask and one mask at least when there are named entries, no user or group named twice.
    static func validate(_ list: AccessControlList) throws(ProtocolError) {
        func count(_ tag: AccessControlList.Tag) -> Int { list.entries.filter { $0.tag == tag }.count }
        guard count(.userObject) == 1, count(.groupObject) == 1, count(.other) == 1, count(.mask) <= 1 else {
            throw .malformed("ACL without exactly one owner, group and other entry")
        }
        let named = list.namedEntries
        if !named.isEmpty && count(.mask) == 0 { throw .malformed("ACL with named entries and no mask") }
        for (a, b) in zip(named, named.dropFirst()) where a.tag == b.tag && a.id == b.id {
            throw .malformed("ACL names \(a.tag == .user ? "user" : "group") \(a.id) twice")
        }
    }
}
