import Foundation
import SyncTestSupport
import Testing

/// `-aHAXS --numeric-ids` (and `-aAX`, names mapped) pushed and pulled through the test sshd: rsync and swsync
/// end with the same trees, xattrs and ACLs included, and after the same drift in both destinations a second
/// run itemizes the same `a`/`x` lines.
@Suite(.tags(.large, .remote), .remoteAgainstRsync,
    .enabled(if: SecurityFixture.available, "setfattr or setfacl not found"))
struct RemoteSecurityAttributeTests {
    struct Route: Sendable, CustomTestStringConvertible {
        var direction: RemoteTransferTests.Direction
        var options: [String]
        var testDescription: String { "\(direction.rawValue) \(options.joined(separator: " "))" }
    }

    static let routes = RemoteTransferTests.Direction.allCases.flatMap { direction in
        [["-aHAXS", "--numeric-ids"], ["-aAX"], ["-aXX"]].map { Route(direction: direction, options: $0) }
    }

    /// Files and directories with xattrs in the user (and, as root, trusted) namespace, named ACL entries by
    /// user and group name and by bare number, and default ACLs.
    static func buildTree(at root: String) throws {
        try makeDirectories(root + "/shared/inner")
        try writeFile(root + "/plain.txt", Fixture.content("plain", size: 100))
        try writeFile(root + "/tagged.bin", Fixture.content("tagged", size: 5_000))
        try writeFile(root + "/shared/acl.txt", Fixture.content("acl", size: 300))
        try SecurityFixture.setfattr(root + "/tagged.bin", "user.origin", "remote test")
        try SecurityFixture.setfattr(root + "/tagged.bin", "user.rsync.%stat", "100644 0,0 0:0")
        try SecurityFixture.setfattr(root + "/shared", "user.dir", "a directory")
        if isRoot { try SecurityFixture.setfattr(root + "/plain.txt", "trusted.note", "root only") }
        try SecurityFixture.run("/usr/bin/setfacl", ["-m", "u:nobody:rw,g:nogroup:r,u:4321:r", root + "/shared/acl.txt"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-d", "-m", "u:nobody:rwx,g:2345:rx", root + "/shared"])
        try Fixture.freezeTimes(root)
    }

    /// The same changes in a destination: values changed, added, removed; ACLs dropped and added.
    static func drift(_ destination: String) throws {
        try SecurityFixture.setfattr(destination + "/tagged.bin", "user.origin", "changed")
        try SecurityFixture.setfattr(destination + "/plain.txt", "user.extra", "extra")
        try SecurityFixture.run("/usr/bin/setfacl", ["-b", destination + "/shared/acl.txt"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-k", destination + "/shared"])
        try SecurityFixture.run("/usr/bin/setfacl", ["-m", "u:nobody:r", destination + "/plain.txt"])
    }

    @Test(arguments: routes)
    func matchesRsync(_ route: Route) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-xattrs-\(route.direction.rawValue)")
        let source = scratch.path + "/src"
        try Self.buildTree(at: source)

        func operands(_ destination: String) -> [String] {
            switch route.direction {
            case .push: return [source + "/", host.remote(destination + "/")]
            case .pull: return [host.remote(source + "/"), destination + "/"]
            }
        }
        func run(_ tool: String, _ destination: String, pass: String) throws -> ProcessOutput {
            let arguments = route.options + ["-i"] + operands(destination)
            let output = tool == "rsync"
                ? try host.runRsync(arguments, in: scratch.path, outputPrefix: scratch.path + "/\(tool)-\(pass)")
                : try host.runSwsync(arguments, transport: .externalSSH, in: scratch.path,
                    outputPrefix: scratch.path + "/\(tool)-\(pass)")
            try #require(output.termination == .exited(0),
                Comment(rawValue: "\(tool) \(pass) ended with \(output.termination): \(output.stderrText)"))
            return output
        }
        let rsyncDestination = scratch.path + "/dst-rsync", swsyncDestination = scratch.path + "/dst-swsync"
        _ = try run("rsync", rsyncDestination, pass: "first")
        if RemoteHost.swsyncRefusesRemote { try Test.cancel(RemoteHost.refusesRemoteReason) }
        _ = try run("swsync", swsyncDestination, pass: "first")
        func compareTrees(_ pass: String) throws {
            let differences = TreeComparison.differences(try TreeSnapshot(rsyncDestination),
                try TreeSnapshot(swsyncDestination), labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, Comment(rawValue: "\(pass): trees differ:\n" + TreeComparison.report(differences)))
        }
        try compareTrees("first run")

        try Self.drift(rsyncDestination)
        try Self.drift(swsyncDestination)
        let rsyncLines = try run("rsync", rsyncDestination, pass: "second").stdoutText
        let swsyncLines = try run("swsync", swsyncDestination, pass: "second").stdoutText
        #expect(rsyncLines.contains(".x "), "rsync itemized no xattr change: the drift does not do its job")
        #expect(swsyncLines == rsyncLines)
        try compareTrees("second run")
    }
}
