import SyncCore
import SyncTestSupport
import Testing

/// rsync 3.5's rules for `-X` namespaces and `-A` comparisons, without a file system.
@Suite(.tags(.small))
struct SecurityAttributeRulesTests {
    func attribute(_ name: String, _ value: String = "v") -> ExtendedAttribute {
        ExtendedAttribute(name: Array(name.utf8), value: Array(value.utf8))
    }

    @Test func namespaces() {
        let user = ExtendedAttributePolicy(level: 1, isSuperUser: false)
        let root = ExtendedAttributePolicy(level: 1, isSuperUser: true)
        let twice = ExtendedAttributePolicy(level: 2, isSuperUser: false)
        for policy in [user, root, twice] {
            #expect(!policy.isOffered(Array("system.posix_acl_access".utf8)))
            #expect(policy.isOffered(Array("user.a".utf8)))
        }
        #expect(user.isOffered(Array("trusted.t".utf8)) && !user.isKept(Array("trusted.t".utf8)))
        #expect(root.isKept(Array("trusted.t".utf8)) && root.isKept(Array("security.selinux".utf8)))
        #expect(!root.isKept(Array("system.x".utf8)))
        #expect(!user.isOffered(Array("user.rsync.%stat".utf8)) && twice.isOffered(Array("user.rsync.%stat".utf8)))
        #expect(user.isManaged(Array("user.rsync.%stat".utf8)), "a plain -X still removes rsync's own names")
        #expect(user.isOffered(Array("user.rsync.plain".utf8)))
    }

    @Test func writesMakeTheDestinationMatch() {
        let policy = ExtendedAttributePolicy(level: 1, isSuperUser: false)
        let writes = policy.writes(
            wanted: [attribute("user.same"), attribute("user.changed", "new"), attribute("user.new"), attribute("trusted.t")],
            current: [attribute("user.same"), attribute("user.changed", "old"), attribute("user.gone"),
                attribute("trusted.kept"), attribute("security.selinux")])
        #expect(writes == [
            .setExtendedAttribute(attribute("user.changed", "new")), .setExtendedAttribute(attribute("user.new")),
            .removeExtendedAttribute(Array("user.gone".utf8)),
        ])
        #expect(policy.writes(wanted: [attribute("user.a")], current: [attribute("user.a")]).isEmpty)
    }

    @Test func accessACLsCompareAsRsyncDoes() {
        let withMask = AccessControlList([.init(.userObject, 6), .init(.groupObject, 4), .init(.user, 7, id: 5),
            .init(.mask, 7), .init(.other, 4)])
        let otherMask = AccessControlList([.init(.userObject, 7), .init(.groupObject, 4), .init(.user, 7, id: 5),
            .init(.mask, 5), .init(.other, 0)])
        let otherGroup = AccessControlList([.init(.userObject, 6), .init(.groupObject, 6), .init(.user, 7, id: 5),
            .init(.mask, 7), .init(.other, 4)])
        #expect(AccessControlList.accessEquivalent(withMask, otherMask), "owner, mask and other are the mode's")
        #expect(!AccessControlList.accessEquivalent(withMask, otherGroup))
        #expect(!AccessControlList.accessEquivalent(withMask, nil))
        #expect(AccessControlList.accessEquivalent(AccessControlList.minimal, nil))
        let applied = withMask.applying(mode: 0o750)
        #expect(applied.entries == [.init(.userObject, 7), .init(.user, 7, id: 5), .init(.groupObject, 4),
            .init(.mask, 5), .init(.other, 0)])
        #expect(AccessControlList.minimal?.applying(mode: 0o640).entries == [.init(.userObject, 6),
            .init(.groupObject, 4), .init(.other, 0)])
    }

    @Test func rulesItemizeAndWrite() {
        var options = SyncOptions()
        options.acls = true
        options.xattrs = 1
        let rules = SecurityAttributeRules(options: options)
        let source = SecurityAttributes(extendedAttributes: [attribute("user.a")],
            defaultACL: AccessControlList.minimal)
        let empty = StoredSecurityAttributes(extendedAttributes: [], accessACL: .some(nil), defaultACL: .some(nil))
        #expect(rules.differences(source: source, destination: empty, kind: .directory)
            == [.reportACL, .reportExtendedAttributes])
        #expect(rules.differences(source: source, destination: empty, kind: .symlink).isEmpty)
        #expect(rules.selection(for: .symlink).isEmpty)
        #expect(rules.selection(for: .regular) == [.extendedAttributes, .accessACL])
        #expect(!SecurityAttributeRules(options: SyncOptions()).isActive)
    }
}
