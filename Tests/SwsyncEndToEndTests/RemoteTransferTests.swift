import Foundation
import SyncTestSupport
import Testing

/// Push and pull through the shared test sshd on 127.0.0.1, over both of swsync's transports, with rsync run the
/// same way first (so a broken harness shows up as an rsync failure, not a swsync one).
@Suite(
    .tags(.large, .remote),
    .remoteAgainstRsync
)
struct RemoteTransferTests {
    enum Direction: String, Sendable, CaseIterable { case push, pull }

    struct Route: Sendable, CustomTestStringConvertible {
        var direction: Direction
        var transport: RemoteTransport
        var testDescription: String { "\(direction.rawValue) over \(transport.rawValue)" }
    }

    static let routes = Direction.allCases.flatMap { direction in
        RemoteTransport.allCases.map { Route(direction: direction, transport: $0) }
    }

    /// A small tree: nested directories, an empty file, a symlink, modes and old times.
    static func buildTree(at root: String) throws {
        try makeDirectories(root + "/a/b")
        try makeDirectory(root + "/empty")
        for (index, name) in ["one.txt", "a/two.bin", "a/b/three.bin", "a/b/zero"].enumerated() {
            try writeFile(root + "/" + name, Fixture.content(name, size: index == 3 ? 0 : 1_000 * (index + 1) * 37))
        }
        try changeMode(root + "/a/two.bin", 0o600)
        try makeSymlink(root + "/a/link", to: "two.bin")
        try Fixture.freezeTimes(root)
    }

    @Test(arguments: routes)
    func copiesTheTreeLikeRsync(_ route: Route) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-\(route.direction.rawValue)-\(route.transport.rawValue)")
        let source = scratch.path + "/src"
        try Self.buildTree(at: source)
        let expected = try TreeSnapshot(source)

        func operands(_ destination: String) -> [String] {
            switch route.direction {
            case .push: return [source + "/", host.remote(destination + "/")]
            case .pull: return [host.remote(source + "/"), destination + "/"]
            }
        }
        func check(_ label: String, _ output: ProcessOutput, _ destination: String) throws {
            let context = "\n\(label) stderr: \(output.stderrText)\ndirectory: \(scratch.path)"
            try #require(output.termination == .exited(0),
                Comment(rawValue: "\(label) ended with \(output.termination)" + context))
            let differences = TreeComparison.differences(expected, try TreeSnapshot(destination),
                labels: ("source", label))
            #expect(differences.isEmpty,
                Comment(rawValue: "\(label)'s copy differs:\n" + TreeComparison.report(differences) + context))
        }

        let rsyncDestination = scratch.path + "/dst-rsync"
        try check("rsync", try host.runRsync(["-a"] + operands(rsyncDestination), in: scratch.path,
            outputPrefix: scratch.path + "/rsync"), rsyncDestination)

        if RemoteHost.swsyncRefusesRemote { try Test.cancel(RemoteHost.refusesRemoteReason) }
        let swsyncDestination = scratch.path + "/dst-swsync"
        try check("swsync", try host.runSwsync(["-a"] + operands(swsyncDestination), transport: route.transport,
            in: scratch.path, outputPrefix: scratch.path + "/swsync"), swsyncDestination)
    }

    /// `-4`/`-6` over both transports against rsync's (which hands them to ssh): the test sshd listens on
    /// 127.0.0.1, so `-4` copies and `-6` finds no IPv6 address for it (ssh's message, exit 255).
    @Test(arguments: RemoteTransport.allCases)
    func addressFamilies(_ transport: RemoteTransport) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-family-\(transport.rawValue)")
        try Self.buildTree(at: scratch.path + "/src")
        for family in ["-4", "-6"] {
            for tool in ["rsync", "swsync"] {
                let arguments = ["-a", family, scratch.path + "/src/", host.remote(scratch.path + "/\(tool)\(family)/")]
                let output = tool == "rsync"
                    ? try host.runRsync(arguments, in: scratch.path, outputPrefix: scratch.path + "/\(tool)\(family)-out")
                    : try host.runSwsync(arguments, transport: transport, in: scratch.path,
                        outputPrefix: scratch.path + "/\(tool)\(family)-out")
                // rsync exits 12 or 255 as the ssh child's exit races its read of the closed pipe; swsync waits.
                let allowed: [Termination] = family == "-4" ? [.exited(0)]
                    : tool == "rsync" ? [.exited(12), .exited(255)] : [.exited(255)]
                #expect(allowed.contains(output.termination), "\(tool) \(family): \(output.stderrText)")
                if family == "-6" {
                    #expect(output.stderrText.contains("Could not resolve hostname 127.0.0.1"), "\(tool): \(output.stderrText)")
                }
            }
            if family == "-4" {
                let differences = TreeComparison.differences(try TreeSnapshot(scratch.path + "/rsync-4"),
                    try TreeSnapshot(scratch.path + "/swsync-4"), labels: ("rsync", "swsync"))
                #expect(differences.isEmpty, "\(differences)")
            }
        }
    }
}
