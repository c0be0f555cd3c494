import Glibc
import SyncCore
import SyncPlatform
import SyncTestSupport
import Testing

/// `PosixFileSystem`'s `-X`/`-A` calls on a real file system: what is written reads back, ACLs included (the
/// kernel's binary format both ways), through a handle, on a file this user may not open for reading, and
/// never through a symlink.
@Suite("Xattrs and ACLs on disk", .tags(.medium))
struct PosixSecurityAttributesTests {
    let fs = PosixFileSystem()

    func scratch() throws -> String {
        var template = Array("/tmp/swsync-xattrs.XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        return try #require(made.map { String(cString: $0) })
    }

    @Test func writesReadBack() throws {
        let root = try scratch()
        defer { _ = system("rm -rf '\(root)'") }
        let directory = try fs.openDirectory(Array(root.utf8))
        for name in ["file", "locked"] { _ = try fs.createFile(FileLocation(Array(name.utf8), in: directory), permissions: 0o644) }
        try fs.makeDirectory(FileLocation(Array("dir".utf8), in: directory), permissions: 0o755)
        try fs.makeSymlink(FileLocation(Array("link".utf8), in: directory), target: Array("file".utf8))

        let acl = AccessControlList([.init(.userObject, 6), .init(.user, 5, id: 4321), .init(.groupObject, 4),
            .init(.mask, 5), .init(.other, 0)])
        let attribute = ExtendedAttribute(name: Array("user.test".utf8), value: [0, 1, 2, 255])
        for name in ["file", "locked", "dir"] {
            let location = FileLocation(Array(name.utf8), in: directory)
            let kind: FileKind = name == "dir" ? .directory : .regular
            if name == "locked" { try fs.setPermissions(location, 0o000) }
            var writes: [AttributeWrite] = [.setExtendedAttribute(attribute), .setACL(.access, acl)]
            if kind == .directory { writes.append(.setACL(.default, acl)) }
            _ = try fs.writeSecurityAttributes(location, kind: kind, writes)
            let stored = try fs.securityAttributes(location, kind: kind,
                selection: [.extendedAttributes, .accessACL, .defaultACL])
            #expect(stored.extendedAttributes?.contains(attribute) == true, "\(name)")
            #expect(stored.accessACL == .some(acl), "\(name)")
            #expect(try fs.lstat(location.name, in: directory).permissions & 0o777 == 0o650, "the ACL set the mode")
            if kind == .directory { #expect(stored.defaultACL == .some(acl)) }

            _ = try fs.writeSecurityAttributes(location, kind: kind, [.removeExtendedAttribute(attribute.name),
                .setACL(.access, AccessControlList.minimal?.applying(mode: 0o640))])
            let cleared = try fs.securityAttributes(location, kind: kind, selection: [.extendedAttributes, .accessACL])
            #expect(cleared.extendedAttributes?.contains(attribute) == false)
            #expect(cleared.accessACL == .some(nil), "a minimal ACL is no ACL")
        }
        // A symlink has none, and nothing is written through it.
        let link = FileLocation(Array("link".utf8), in: directory)
        #expect(try fs.securityAttributes(link, kind: .symlink, selection: [.extendedAttributes]).extendedAttributes == nil)
        _ = try fs.writeSecurityAttributes(link, kind: .symlink, [.setExtendedAttribute(attribute)])
        let file = try fs.securityAttributes(FileLocation(Array("file".utf8), in: directory), kind: .regular,
            selection: [.extendedAttributes])
        #expect(file.extendedAttributes?.contains(attribute) == false)
        // A file swapped for a symlink is refused (O_NOFOLLOW), not followed.
        #expect(throws: SystemCallError.self) {
            _ = try fs.writeSecurityAttributes(link, kind: .regular, [.setExtendedAttribute(attribute)])
        }
    }
}
