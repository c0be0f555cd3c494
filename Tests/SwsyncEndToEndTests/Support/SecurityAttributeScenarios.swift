import Foundation

/// Scenarios for `-X` and `-A`: the rich tree with extended attributes in several namespaces and POSIX
/// ACLs (named users and groups, by names that exist and by bare numbers; default ACLs on directories).
extension Scenario {
    /// Source only, with attributes.
    static let securityAttributes = Scenario(name: "xattrs-acls") { context in
        try context.buildRichSource()
        try SecurityFixture.decorate(context.path("src"))
    }

    /// `dst/` a copy whose attributes have drifted: a changed value, an extra name, a missing one, an
    /// extra `trusted.` name, rsync's own `user.rsync.%stat`, an ACL removed, one added, a changed default
    /// ACL, and a file whose mode and ACL differ together.
    static let securityAttributesStale = Scenario(name: "xattrs-acls-stale") { context in
        try context.buildRichSource()
        let src = context.path("src"), dst = context.path("dst")
        try SecurityFixture.decorate(src)
        try context.copy("src", to: "dst")
        try SecurityFixture.setfattr(dst + "/one.bin", "user.comment", "old value")
        try SecurityFixture.setfattr(dst + "/f4095.bin", "user.extra", "not in the source")
        try SecurityFixture.run("/usr/bin/setfattr", ["-x", "user.mime_type", dst + "/f4096.bin"])
        if isRoot { try SecurityFixture.setfattr(dst + "/f4097.bin", "trusted.extra", "root only") }
        try SecurityFixture.setfattr(dst + "/empty.txt", "user.rsync.%stat", "100644 0,0 0:0")
        try SecurityFixture.run("/usr/bin/setfacl", ["-b", dst + "/secret.txt"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-m", "u:nobody:rw", dst + "/readonly.txt"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-d", "-m", "g:4242:rwx", dst + "/a/b"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-k", dst + "/a"])
        try SecurityFixture.setfattr(dst + "/a/b/c", "user.dir", "changed")
        try Fixture.freezeTimes(dst)
    }
}

extension Scenario {
    /// `prev/` is the drifted copy of `xattrs-acls-stale` and `dst/` does not exist: a reference copy whose
    /// data matches but whose xattrs or ACLs do not is copied, not linked.
    static let securityAttributesPrevious = Scenario(name: "xattrs-acls-prev") { context in
        try securityAttributesStale.prepare(context)
        guard rename(context.path("dst"), context.path("prev")) == 0 else { throw HarnessError("rename dst prev") }
    }
}

enum SecurityFixture {
    static func decorate(_ src: String) throws {
        try setfattr(src + "/one.bin", "user.comment", "the one byte")
        try setfattr(src + "/one.bin", "user.empty", "")
        try setfattr(src + "/f4095.bin", "user.a", "1")
        try setfattr(src + "/f4096.bin", "user.mime_type", "application/octet-stream")
        try setfattr(src + "/f4096.bin", "user.big", String(repeating: "x", count: 3000))
        if isRoot { try setfattr(src + "/f4097.bin", "trusted.secret", "copied as root only") }
        try setfattr(src + "/empty.txt", "user.rsync.%stat", "100600 0,0 1:1")
        try setfattr(src + "/a/b/c", "user.dir", "on a directory")
        if isRoot { try setfattr(src + "/fifo", "trusted.fifo", "on a fifo") }
        try run("/usr/bin/setfacl", ["-m", "u:nobody:rwx,g:nogroup:r,u:1234:r", src + "/secret.txt"])
        try run("/usr/bin/setfacl", ["-m", "g:5678:rw,m::r", src + "/with space.txt"])
        try run("/usr/bin/setfacl", ["-m", "u:nobody:rx", src + "/a/b"])
        try run("/usr/bin/setfacl", ["-d", "-m", "u:nobody:rwx,g:1234:rx", src + "/a/b"])
        try run("/usr/bin/setfacl", ["-d", "-m", "o::-", src + "/a"])
        try Fixture.freezeTimes(src)
    }

    static func setfattr(_ path: String, _ name: String, _ value: String) throws {
        try run("/usr/bin/setfattr", ["-n", name, "-v", value.isEmpty ? "\"\"" : value, path])
    }

    static func run(_ tool: String, _ arguments: [String]) throws {
        let result = try Subprocess.run(tool, arguments, in: "/", outputPrefix: nil)
        guard result.termination == .exited(0) else {
            throw HarnessError("\(tool) \(arguments.joined(separator: " ")) failed: \(result.stderrText)")
        }
    }

    static var available: Bool { access("/usr/bin/setfattr", X_OK) == 0 && access("/usr/bin/setfacl", X_OK) == 0 }
}
