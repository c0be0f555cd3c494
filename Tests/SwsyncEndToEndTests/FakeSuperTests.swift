import Foundation
import SyncTestSupport
import Testing

/// `--fake-super` against rsync: what a super-user would set is kept in `user.rsync.%stat` (devices, special
/// files and symlinks as plain stand-ins), and given back by a sender with the option. The trees are compared
/// with every extended attribute, so the records themselves must be rsync's, byte for byte, and a second run
/// that reads them back must find nothing to do.
@Suite(.tags(.large, .differential),
    .enabled(if: Tools.rsyncAvailable && SecurityFixture.available, "rsync, setfattr or setfacl not found"))
struct FakeSuperTests {
    static let cases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ai", "--fake-super"], scenario: .fakeSuperSource,
            checks: [SecurityAttributeTests.itemizes("cS+++++++++ fifo")]),
        DifferentialCase(arguments: ["-aiH", "--fake-super", "--numeric-ids"], scenario: .fakeSuperSource),
        DifferentialCase(arguments: ["-aiX", "--fake-super"], scenario: .securityAttributes),
        // The drifted copy holds a record of its own (user.rsync.%stat on empty.txt), and so does the source.
        // rsync cannot put a user. name on the FIFO (EPERM), and neither can swsync. Not run twice: a second
        // rsync run itemizes f4097.bin's xattrs again (its real trusted. names beside the stored ones) and
        // changes nothing; swsync's finds nothing to do.
        DifferentialCase(arguments: ["-aiX", "--fake-super"], scenario: .securityAttributesStale, rerun: false,
            oracleExit: 23),
        DifferentialCase(arguments: ["-ai", "--fake-super", "--delete"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--fake-super"], scenario: .typeSwapped, oracleExit: 23),
        DifferentialCase(arguments: ["-ain", "--fake-super"], scenario: .fakeSuperSource, checks: [.unchanged]),
        // The last of --super, --no-super and --fake-super counts.
        DifferentialCase(arguments: ["-ai", "--fake-super", "--no-super"], scenario: .fakeSuperSource),
        DifferentialCase(arguments: ["-aiXX", "--fake-super"], scenario: .fresh, rerun: false, oracleExit: 1),
        // rsync applies -M to the receiver it forks for a local copy: only that half keeps records, and a
        // real source's ACLs are read as ACLs and stored as records.
        DifferentialCase(arguments: ["-ai", "-M--fake-super"], scenario: .fakeSuperSource),
        DifferentialCase(arguments: ["-aiAX", "-M--fake-super"], scenario: .securityAttributes),
        // A store of records read back: by a fake sender into a real super-user's tree (a restore), and into
        // another store.
        DifferentialCase(arguments: ["-ai", "--fake-super", "-M--super"], scenario: .fakeSuperStore),
        DifferentialCase(arguments: ["-aiA", "--fake-super", "-M--no-super"], scenario: .fakeSuperStore),
        DifferentialCase(arguments: ["-aiAX", "--fake-super"], scenario: .fakeSuperStore),
        // A fake super-user sender reads ACLs from its records only, so the real ones of this source stay behind.
        DifferentialCase(arguments: ["-aiA", "--fake-super"], scenario: .securityAttributes),
    ]

    @Test(arguments: cases)
    func againstRsync(_ testCase: DifferentialCase) throws {
        try DifferentialRunner.runComparing(testCase)
    }

    /// A backup through `-M--fake-super` on the receiving server and a restore from it with `-M--fake-super` on
    /// the sending server: the restore equals the source (owners, devices, FIFOs, symlinks, modes, xattrs, ACLs),
    /// and equals
    /// rsync's. swsync also restores from the store rsync made, and rsync from swsync's.
    @Test(.tags(.remote), .remoteAgainstRsync, .enabled(if: isRoot, "owners and devices need root"))
    func backupAndRestoreThroughAFakeSuperServer() throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("fake-super-remote")
        let source = scratch.path + "/src"
        try Scenario.buildFakeSuperSource(at: source)
        try SecurityFixture.decorate(source)
        // A record in the source itself would be read back as an attribute of the restore, not copied.
        try SecurityFixture.run("/usr/bin/setfattr", ["-x", "user.rsync.%stat", source + "/empty.txt"])
        func run(_ tool: String, _ arguments: [String], _ label: String) throws {
            let output = tool == "rsync"
                ? try host.runRsync(arguments, in: scratch.path, outputPrefix: scratch.path + "/" + label)
                : try host.runSwsync(arguments, transport: .externalSSH, in: scratch.path,
                    outputPrefix: scratch.path + "/" + label)
            try #require(output.termination == .exited(0),
                Comment(rawValue: "\(label) ended with \(output.termination): \(output.stderrText)"))
        }
        if RemoteHost.swsyncRefusesRemote { try Test.cancel(RemoteHost.refusesRemoteReason) }
        let options = ["-aHAX", "--numeric-ids", "-M--fake-super"]
        for tool in ["rsync", "swsync"] {
            try run(tool, options + [source + "/", host.remote(scratch.path + "/store-\(tool)/")], "\(tool)-backup")
        }
        try expectSame(scratch.path + "/store-rsync", scratch.path + "/store-swsync", "the stores")
        for (tool, store) in [("rsync", "rsync"), ("swsync", "swsync"), ("swsync", "rsync"), ("rsync", "swsync")] {
            let restored = scratch.path + "/restore-\(tool)-from-\(store)"
            try run(tool, options + [host.remote(scratch.path + "/store-\(store)/"), restored + "/"], "\(tool)-restore-\(store)")
            try expectSame(source, restored, "\(tool)'s restore from \(store)'s store")
        }
    }

    private func expectSame(_ a: String, _ b: String, _ what: String) throws {
        let differences = TreeComparison.differences(try TreeSnapshot(a), try TreeSnapshot(b), labels: ("a", "b"))
        #expect(differences.isEmpty, Comment(rawValue: "\(what) differ:\n" + TreeComparison.report(differences)))
    }
}

extension Scenario {
    /// The rich tree, plus (as root) a character device and a set-user-id file: everything a super-user
    /// would set and a fake one must record.
    static let fakeSuperSource = Scenario(name: "fake-super-src") { context in
        try context.buildRichSource()
        try buildFakeSuperExtras(at: context.path("src"))
    }

    /// A store as a fake super-user leaves it, made by hand: stand-ins for a symlink and a device, records of
    /// owners and set-id modes, an ACL record, and one plain file without a record.
    static let fakeSuperStore = Scenario(name: "fake-super-store") { context in
        let src = context.path("src")
        try makeDirectories(src + "/dir")
        try writeFile(src + "/plain", Fixture.content("plain", size: 200))
        try writeFile(src + "/owned", Fixture.content("owned", size: 300), mode: 0o640)
        try writeFile(src + "/link", Array("../plain".utf8), mode: 0o777)
        try writeFile(src + "/null", [], mode: 0o640)
        try writeFile(src + "/acl", Fixture.content("acl", size: 10), mode: 0o664)
        for (name, record) in [("owned", "104750 0,0 1234:5678"), ("link", "120777 0,0 1234:1234"),
            ("dir", "42775 0,0 0:5678"), ("acl", "100664 0,0 0:0")]
        {
            try SecurityFixture.setfattr(src + "/" + name, "user.rsync.%stat", record)
        }
        if isRoot { try SecurityFixture.setfattr(src + "/null", "user.rsync.%stat", "20640 1,3 0:5") }
        // u:1234:rwx with the mask rw-, the group and others from the mode: rsync's record of an access ACL.
        try SecurityFixture.run("/usr/bin/setfattr", ["-n", "user.rsync.%aacl", "-v",
            "0x80000000800000000600000080000000d204000007000080", src + "/acl"])
        try Fixture.freezeTimes(src)
    }

    static func buildFakeSuperSource(at root: String) throws {
        try Fixture.buildRichTree(at: root, absoluteTarget: root + "/../outside-target")
        try buildFakeSuperExtras(at: root)
    }

    private static func buildFakeSuperExtras(at root: String) throws {
        try writeFile(root + "/setuid", Fixture.content("setuid", size: 10))
        if isRoot {
            guard mknod(root + "/null", S_IFCHR | 0o640, dev_t(1 << 8 | 3)) == 0 else { throw HarnessError("mknod") }
            try changeOwner(root + "/null", uid: 0, gid: 5)
            try changeOwner(root + "/setuid", uid: 1234, gid: 1234)
        }
        try changeMode(root + "/setuid", 0o4750)
        try Fixture.freezeTimes(root)
    }
}
