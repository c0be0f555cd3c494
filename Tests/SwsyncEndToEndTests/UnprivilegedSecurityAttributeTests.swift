import Foundation
import SyncTestSupport
import Testing

import Glibc

/// `-aiAX` as `nobody`, rsync and swsync side by side: the user namespace is copied and managed, the
/// `trusted.` one neither read from the source nor touched in the destination (root set both), and ACLs
/// are copied onto the user's own files. Trees are snapshotted as root, so the trusted names are compared.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable && Tools.rsyncAvailable, "swsync or rsync missing"),
    .enabled(if: geteuid() == 0, "needs root to set trusted.* and to switch to an unprivileged user"),
    .enabled(if: Tools.isExecutable("/usr/bin/setpriv") && SecurityFixture.available, "setpriv or attr/acl tools missing"))
struct UnprivilegedSecurityAttributeTests {
    static func prepare(_ root: String) throws {
        try makeDirectories(root + "/src/dir")
        try makeDirectories(root + "/dst/dir")
        try writeFile(root + "/src/file", Array("file\n".utf8))
        try writeFile(root + "/src/dir/inner", Array("inner\n".utf8))
        try writeFile(root + "/dst/file", Array("old\n".utf8))
        try SecurityFixture.setfattr(root + "/src/file", "user.kept", "copied")
        try SecurityFixture.setfattr(root + "/src/file", "trusted.hidden", "not for nobody")
        try SecurityFixture.setfattr(root + "/src/dir", "trusted.dir", "not for nobody")
        try SecurityFixture.setfattr(root + "/dst/file", "user.extra", "removed")
        try SecurityFixture.setfattr(root + "/dst/file", "trusted.stays", "nobody cannot see it")
        try SecurityFixture.setfattr(root + "/dst/dir", "trusted.stays", "nobody cannot see it")
        try SecurityFixture.run("/usr/bin/setfacl", ["-m", "u:1234:r", root + "/src/dir/inner"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-d", "-m", "u:1234:rx", root + "/src/dir"])
        try Unprivileged.handOver(root)
        try Fixture.freezeTimes(root + "/src")
    }

    @Test func userNamespaceOnly() throws {
        let scratch = try TemporaryDirectory("xattrs-nobody")
        let (rsync, swsync) = try Unprivileged.runBoth(in: scratch.path, ["-aiAX", "src/", "dst/"], prepare: Self.prepare)
        #expect(rsync.output.termination == .exited(0), Comment(rawValue: rsync.output.stderrText))
        #expect(swsync.output.termination == rsync.output.termination, Comment(rawValue: swsync.output.stderrText))
        #expect(swsync.output.stdoutText == rsync.output.stdoutText)
        let differences = TreeComparison.differences(rsync.tree, swsync.tree, labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: differences.joined(separator: "\n")))
        #expect(swsync.tree.extendedAttributes["file"]?["trusted.hidden"] == nil, "nobody copied a trusted name")
        #expect(swsync.tree.extendedAttributes["dir"]?["trusted.stays"] != nil, "nobody removed a trusted name")
        #expect(swsync.tree.extendedAttributes["dir"]?["trusted.dir"] == nil, "nobody copied a trusted name")
        #expect(swsync.tree.extendedAttributes["file"]?["user.kept"] != nil)
    }
}
