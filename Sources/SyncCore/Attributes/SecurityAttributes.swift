/// What `-X` and `-A` copy of one entry, as the sender listed it (already filtered by namespace).
/// A class, so a `FileEntry` without any grows by one pointer, not by two arrays.
public final class SecurityAttributes: Sendable, Equatable {
    public let extendedAttributes: [ExtendedAttribute]
    /// nil: minimal (the mode says it all).
    public let accessACL: AccessControlList?
    /// Directories only; nil: none.
    public let defaultACL: AccessControlList?

    public init(extendedAttributes: [ExtendedAttribute] = [], accessACL: AccessControlList? = nil,
        defaultACL: AccessControlList? = nil)
    {
        self.extendedAttributes = extendedAttributes
        self.accessACL = accessACL?.isMinimal == false ? accessACL : nil
        self.defaultACL = defaultACL
    }

    /// nil for an entry with nothing to carry.
    public static func unlessEmpty(_ attributes: SecurityAttributes) -> SecurityAttributes? {
        attributes.extendedAttributes.isEmpty && attributes.accessACL == nil && attributes.defaultACL == nil
            ? nil : attributes
    }

    public static func == (a: SecurityAttributes, b: SecurityAttributes) -> Bool {
        a.extendedAttributes == b.extendedAttributes && a.accessACL == b.accessACL && a.defaultACL == b.defaultACL
    }
}

/// What a file system holds of an entry's extended attributes and ACLs; a part not asked for is nil.
public struct StoredSecurityAttributes: Sendable, Equatable {
    public var extendedAttributes: [ExtendedAttribute]?
    /// `.some(nil)`: asked for, and minimal.
    public var accessACL: AccessControlList??
    public var defaultACL: AccessControlList??
    public init(extendedAttributes: [ExtendedAttribute]? = nil, accessACL: AccessControlList?? = nil,
        defaultACL: AccessControlList?? = nil)
    {
        self.extendedAttributes = extendedAttributes
        self.accessACL = accessACL
        self.defaultACL = defaultACL
    }
}

/// What to read of an entry (`FileSystem.securityAttributes`).
public struct SecurityAttributeSelection: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let extendedAttributes = SecurityAttributeSelection(rawValue: 1)
    public static let accessACL = SecurityAttributeSelection(rawValue: 2)
    public static let defaultACL = SecurityAttributeSelection(rawValue: 4)
}

/// One change to an entry's extended attributes or ACLs.
public enum AttributeWrite: Sendable, Equatable {
    case setExtendedAttribute(ExtendedAttribute)
    case removeExtendedAttribute([UInt8])
    /// nil removes it (an access ACL back to the mode alone, a directory without a default ACL).
    case setACL(AccessControlListKind, AccessControlList?)
}
