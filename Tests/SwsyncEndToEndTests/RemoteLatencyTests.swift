import Foundation
import SyncTestSupport
import Testing

/// Remote transfers over a slow link (Scripts/lib/netem-host.sh: a host in its own network namespace, 25 ms each
/// way, a 50 ms round trip). A tool that waited for an answer per file would need 10,000 round trips (500 s) for
/// the tree below; a pipelined one (rsync, and swsync per Docs/protocol.md "Ordering and pipelining") needs a
/// handful, plus the data.
@Suite(
    .tags(.large, .remote),
    .serialized,
    .enabled(if: Tools.swsyncAvailable, "swsync binary not built"),
    .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
    .enabled(if: RemoteHost.latencyHostAvailable,
        "network namespaces, links or sshd not available here (root and `ip netns add` needed)")
)
struct RemoteLatencyTests {
    /// One way; the round trip is twice this.
    static let delayMilliseconds = 25
    static let directories = 100
    static let filesPerDirectory = 100
    /// An absolute ceiling (CI budget), far below 10,000 round trips.
    static let ceilingSeconds: Double = 60

    /// 100 directories of 100 files of 0...2 KiB, with old time stamps.
    static func buildTree(at root: String) throws {
        try makeDirectory(root)
        for d in 0..<directories {
            let directory = root + "/dir\(d)"
            try makeDirectory(directory)
            for f in 0..<filesPerDirectory {
                let name = "dir\(d)/file\(f).txt"
                try writeFile(root + "/" + name, Fixture.content(name, size: (d * 37 + f * 101) % 2_049))
            }
        }
        try Fixture.freezeTimes(root)
    }

    @Test func manySmallFilesPushInFewRoundTrips() throws {
        let scratch = try TemporaryDirectory("latency")
        let source = scratch.path + "/src"
        try Self.buildTree(at: source)
        let expected = try TreeSnapshot(source)
        let fileCount = Self.directories * Self.filesPerDirectory

        try RemoteHost.withLatencyHost(delayMilliseconds: Self.delayMilliseconds) { host in
            func push(_ label: String, _ run: (String) throws -> ProcessOutput) throws -> Double {
                let destination = scratch.path + "/dst-" + label
                let start = Date()
                let output = try run(destination)
                let seconds = Date().timeIntervalSince(start)
                let context = "\n\(label) stderr: \(output.stderrText)\nlink: \(host.values["NETEM_MODE"] ?? "?"), "
                    + "\(Self.delayMilliseconds) ms each way; directory: \(scratch.path)"
                try #require(output.termination == .exited(0),
                    Comment(rawValue: "\(label) push ended with \(output.termination)" + context))
                let differences = TreeComparison.differences(
                    expected, try TreeSnapshot(destination), labels: ("source", label))
                #expect(differences.isEmpty,
                    Comment(rawValue: "\(label)'s copy differs:\n" + TreeComparison.report(differences) + context))
                return seconds
            }

            let rsyncSeconds = try push("rsync") { destination in
                try host.runRsync(["-a", "src/", host.remote(destination + "/")], in: scratch.path,
                    outputPrefix: scratch.path + "/rsync", timeout: 300)
            }
            if RemoteHost.swsyncRefusesRemote { try Test.cancel(RemoteHost.refusesRemoteReason) }
            let swsyncSeconds = try push("swsync") { destination in
                try host.runSwsync(["-a", "src/", host.remote(destination + "/")], transport: .libssh,
                    in: scratch.path, outputPrefix: scratch.path + "/swsync", timeout: 300)
            }

            let roundTrip = Double(2 * Self.delayMilliseconds) / 1000
            let summary = "\(fileCount) files over a \(Int(roundTrip * 1000)) ms round trip: "
                + "rsync \(String(format: "%.1f", rsyncSeconds)) s, swsync \(String(format: "%.1f", swsyncSeconds)) s "
                + "(one round trip per file would be \(Int(Double(fileCount) * roundTrip)) s)"
            print(summary)
            #expect(swsyncSeconds < Self.ceilingSeconds, Comment(rawValue: summary))
            #expect(swsyncSeconds <= 2 * rsyncSeconds + 5, Comment(rawValue: "slower than 2 x rsync + 5 s: " + summary))
        }
    }
}
