import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pull from a peer that breaks the protocol on purpose (Support/hostile_peer.py, started as the `-e` remote
/// shell): swsync must stop with the exit status of Docs/protocol.md ("Errors and limits"), say why on stderr,
/// stop at once rather than wait for more data, and create nothing outside the destination.
@Suite(
    .tags(.large, .remote),
    .enabled(if: Tools.swsyncAvailable, "swsync binary not built"),
    .enabled(if: HostilePeer.python != nil, "python3 not found"),
    .enabled(if: !RemoteHost.swsyncRefusesRemote, RemoteHost.refusesRemoteReason)
)
struct HostilePeerTests {
    struct Hostile: Sendable, CustomTestStringConvertible {
        var scenario: String
        /// Exit statuses that are right: 12 for a bad stream, 2 for a bad hello.
        var exits: Set<Int32>
        /// Text stderr must contain (the receiver's reason, from SyncProtocol's checks); any one of them.
        var messages: [String]

        var testDescription: String { scenario }
    }

    static let cases: [Hostile] = [
        Hostile(scenario: "dotdot", exits: [12], messages: ["\"..\" component"]),
        Hostile(scenario: "absolute", exits: [12], messages: ["absolute file name"]),
        Hostile(scenario: "symlink-dir", exits: [12], messages: ["not a directory", "out of order"]),
        // The protocol accepts "link/x" in the root chunk (-R sends such names); the receiver must refuse to
        // write through the symlink it just made, as a stream error or a per-file one (rsync: 23).
        Hostile(scenario: "symlink-path", exits: [12, 23], messages: ["link/x", "symlink", "unsafe"]),
        Hostile(scenario: "oversize", exits: [12], messages: ["frame of"]),
        Hostile(scenario: "oversize-count", exits: [12], messages: ["entry count"]),
        Hostile(scenario: "nul", exits: [12], messages: ["NUL byte"]),
        Hostile(scenario: "garbage", exits: [2], messages: ["is your shell clean?"]),
    ]

    /// The peer keeps the connection open for 30 s after its bad message; a receiver that refuses at once is
    /// done long before.
    static let promptLimit: Double = 15

    struct Pull {
        var output: ProcessOutput
        var seconds: Double
        var peerLog: String
        var runDirectory: String
        var outside: String
    }

    /// `swsync -a -e 'python3 hostile_peer.py SCENARIO ...' hostile-host:src/ dst/` in a fresh run directory, with
    /// an empty `outside` directory beside it for the escape attempts to aim at.
    static func pull(_ scenario: String, in directory: TemporaryDirectory, options: [String] = ["-a"]) throws -> Pull {
        let run = directory.path + "/run"
        let outside = directory.path + "/outside"
        try makeDirectory(run)
        try makeDirectory(outside)
        let peerLog = directory.path + "/peer.log"
        let rsh = [HostilePeer.python!, HostilePeer.script, scenario, "--peer-outside=\(outside)", "--peer-log=\(peerLog)"]
            .joined(separator: " ")
        let start = Date()
        let output = try Subprocess(
            executable: Tools.swsync, arguments: options + ["-e", rsh, "hostile-host:src/", "dst/"], directory: run,
            outputPrefix: directory.path + "/swsync", environment: RemoteHost.environment(home: nil)
        ).wait(timeout: 60)
        let log = (try? readAllBytes(peerLog)).map { String(decoding: $0, as: UTF8.self) } ?? "(no peer log)"
        return Pull(output: output, seconds: Date().timeIntervalSince(start), peerLog: log, runDirectory: run,
            outside: outside)
    }

    @Test(arguments: cases)
    func refusesHostilePeer(_ hostile: Hostile) throws {
        let directory = try TemporaryDirectory("hostile-\(hostile.scenario)")
        let pull = try Self.pull(hostile.scenario, in: directory)
        let context = "\nstderr: \(pull.output.stderrText)\npeer log:\n\(pull.peerLog)\ndirectory: \(directory.path)"

        #expect(
            pull.peerLog.contains("sent hostile"),
            Comment(rawValue: "the peer never sent its hostile message (did swsync start it?)" + context))
        let code = pull.output.termination.exitCode
        #expect(
            code.map { hostile.exits.contains($0) } ?? false,
            Comment(rawValue: "swsync ended with \(pull.output.termination), expected exit \(hostile.exits.sorted())"
                + context))
        #expect(
            hostile.messages.contains { pull.output.stderrText.contains($0) },
            Comment(rawValue: "stderr names none of \(hostile.messages)" + context))
        #expect(
            pull.seconds < Self.promptLimit,
            Comment(rawValue: "swsync took \(Int(pull.seconds)) s: it waited for the peer instead of refusing"
                + context))

        // Nothing outside the destination: the escape target stays empty, and the run directory holds dst only.
        let outsideEntries = try directoryEntries(pull.outside)
        #expect(outsideEntries.isEmpty, Comment(rawValue: "created outside the destination: \(outsideEntries)" + context))
        let runEntries = try directoryEntries(pull.runDirectory).filter { $0 != "dst" }
        #expect(runEntries.isEmpty, Comment(rawValue: "created beside the destination: \(runEntries)" + context))
        if exists(pull.runDirectory + "/dst") {
            let snapshot = try TreeSnapshot(pull.runDirectory + "/dst")
            #expect(
                snapshot["evil"] == nil && snapshot["x"] == nil && snapshot["link/x"] == nil,
                Comment(rawValue: "the hostile file was written into the destination" + context))
        }
    }

    /// The same peer behaving (one file, correct checksum): proves it speaks the protocol, so the refusals above
    /// are refusals of the bad message and not of the peer as a whole.
    @Test func wellBehavedPeerIsAccepted() throws {
        let directory = try TemporaryDirectory("hostile-valid")
        let pull = try Self.pull("valid", in: directory)
        let context = "\nstderr: \(pull.output.stderrText)\npeer log:\n\(pull.peerLog)\ndirectory: \(directory.path)"
        #expect(pull.output.termination == .exited(0), Comment(rawValue: "\(pull.output.termination)" + context))
        let expected = Array(String(repeating: "hello from the peer\n", count: 3).utf8)
        let received = try? readAllBytes(pull.runDirectory + "/dst/hello.txt")
        #expect(received == expected, Comment(rawValue: "dst/hello.txt is not the peer's file" + context))
        #expect(try directoryEntries(pull.outside).isEmpty)
    }

    /// A file that fails its whole-file check is asked for again, whole (rsync's redo pass); the run ends
    /// with 0 when the second copy is right, and -v shows rsync's warning.
    @Test func failedCheckIsRedone() throws {
        let directory = try TemporaryDirectory("hostile-redo")
        let pull = try Self.pull("redo", in: directory, options: ["-av"])
        let context = "\nstderr: \(pull.output.stderrText)\npeer log:\n\(pull.peerLog)"
        #expect(pull.output.termination == .exited(0), Comment(rawValue: "\(pull.output.termination)" + context))
        #expect(pull.output.stderrText.contains("WARNING: hello.txt failed verification -- update discarded (will try again)."),
            Comment(rawValue: context))
        let expected = Array(String(repeating: "hello from the peer\n", count: 3).utf8)
        #expect((try? readAllBytes(pull.runDirectory + "/dst/hello.txt")) == expected, Comment(rawValue: context))
    }

    /// Owners travel by name, as with rsync: the peer's uid 4242 and gid 4343 are "nobody" and "nogroup"
    /// there, so here the file gets this machine's ids for those names (as root, with -a's -o and -g).
    @Test(.enabled(if: geteuid() == 0, "chown needs root"),
        .enabled(if: getpwnam("nobody") != nil && getgrnam("nogroup") != nil, "no nobody/nogroup here"))
    func ownersAreMappedByName() throws {
        let directory = try TemporaryDirectory("hostile-idnames")
        let pull = try Self.pull("idnames", in: directory)
        let context = "\nstderr: \(pull.output.stderrText)\npeer log:\n\(pull.peerLog)"
        #expect(pull.output.termination == .exited(0), Comment(rawValue: "\(pull.output.termination)" + context))
        let status = try #require(fileStatus(pull.runDirectory + "/dst/hello.txt"))
        #expect(status.st_uid == getpwnam("nobody")!.pointee.pw_uid, Comment(rawValue: context))
        #expect(status.st_gid == getgrnam("nogroup")!.pointee.gr_gid, Comment(rawValue: context))

        // --numeric-ids keeps the numbers.
        let numeric = try TemporaryDirectory("hostile-numeric-ids")
        let kept = try Self.pull("idnames", in: numeric, options: ["-a", "--numeric-ids"])
        #expect(kept.output.termination == .exited(0), Comment(rawValue: kept.output.stderrText))
        let keptStatus = try #require(fileStatus(kept.runDirectory + "/dst/hello.txt"))
        #expect(keptStatus.st_uid == 4242 && keptStatus.st_gid == 4343)
    }
}

/// A hostile *receiver* (Support/hostile_receiver.py): a client of `swsync --server --sender` that asks for
/// files the list never offered. The server ends the run (exit 12) and sends no byte of data for them.
@Suite(
    .tags(.large, .remote),
    .enabled(if: Tools.swsyncAvailable, "swsync binary not built"),
    .enabled(if: HostilePeer.python != nil, "python3 not found")
)
struct HostileReceiverTests {
    static let script = Tools.packageRoot + "/Tests/SwsyncEndToEndTests/Support/hostile_receiver.py"

    func ask(_ scenario: String) throws -> (facts: [String: String], stderr: String) {
        let scratch = try TemporaryDirectory("hostile-receiver")
        try makeDirectory(scratch.path + "/src")
        try writeFile(scratch.path + "/src/listed.txt", Array("listed content\n".utf8))
        try writeFile(scratch.path + "/secret.txt", Array("TOPSECRET\n".utf8))
        let output = try Subprocess.run(HostilePeer.python!, [Self.script, Tools.swsync, scratch.path + "/src/", scenario],
            in: scratch.path, outputPrefix: scratch.path + "/client", timeout: 60)
        var facts: [String: String] = [:]
        for line in output.stdoutText.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            facts[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return (facts, output.stderrText)
    }

    static func hex(_ text: String) -> String { Array(text.utf8).map { String(format: "%02x", $0) }.joined() }

    /// Runs `scenario` and expects the server to have listed both files, then refused the stream (exit 12)
    /// without sending any file data; returns what the receiver saw, for further checks.
    func expectRefusedWithNoData(_ scenario: String) throws -> (facts: [String: String], context: Comment) {
        let (facts, stderr) = try ask(scenario)
        let context = Comment(rawValue: "\(facts)\n\(stderr)")
        #expect(facts["listed"] == "2", context)
        #expect(facts["exit"] == "12", context)
        #expect(facts["delta-frames"] == "0", context)
        return (facts, context)
    }

    @Test(arguments: ["directory", "out-of-range"])
    func aRequestForAFileNeverOfferedEndsTheRunWithNoData(_ scenario: String) throws {
        let (facts, context) = try expectRefusedWithNoData(scenario)
        #expect(!(facts["bytes"] ?? "").contains(Self.hex("TOPSECRET")), context)
    }

    /// A request for a file the client released (said it would never ask for again), and a release of
    /// files never listed: the server refuses the stream (exit 12, no trap) and sends no data.
    @Test(arguments: ["released", "release-ahead"])
    func aReleaseBrokenIsAProtocolError(_ scenario: String) throws {
        _ = try expectRefusedWithNoData(scenario)
    }

    /// The control of the above: a release that keeps the file asked for next is taken, and the file sent.
    @Test func aReleaseKeptToIsAnswered() throws {
        let (facts, stderr) = try ask("release-valid")
        #expect(facts["delta-frames"] == "1", Comment(rawValue: "\(facts)\n\(stderr)"))
        #expect((facts["bytes"] ?? "").contains(Self.hex("listed content\n")), Comment(rawValue: "\(facts)"))
    }

    /// The control: the same client asking for the listed file gets its data.
    @Test func aRequestForAnOfferedFileIsAnswered() throws {
        let (facts, stderr) = try ask("valid")
        #expect(facts["delta-frames"] == "1", Comment(rawValue: "\(facts)\n\(stderr)"))
        #expect((facts["bytes"] ?? "").contains(Self.hex("listed content\n")), Comment(rawValue: "\(facts)"))
    }
}

/// Where the hostile peer and its interpreter are (outside the suite type: its traits refer to them).
enum HostilePeer {
    static let script = Tools.packageRoot + "/Tests/SwsyncEndToEndTests/Support/hostile_peer.py"

    static let python: String? = {
        for candidate in ["/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"]
        where Tools.isExecutable(candidate) {
            return candidate
        }
        return nil
    }()
}
