import Foundation
import Glibc
import SyncTestSupport
import Testing

/// `--copy-as=USER[:GROUP]` against rsync: a root run that copies as another user reads and writes only what that
/// user may, owns what it makes as that user, and refuses unknown names and a caller without the right to switch.
@Suite(.enabled(if: geteuid() == 0 && Tools.swsyncAvailable && Tools.rsyncAvailable, "needs root, swsync and rsync"))
struct CopyAsTests {
    static let nobody: uid_t = 65534

    /// A source with a file only root may read, and a destination directory `nobody` owns (`dst`) beside one
    /// only root may write (`locked`).
    static func prepare(_ root: String) throws {
        try makeDirectories(root + "/src/dir")
        try writeFile(root + "/src/plain", Array("plain\n".utf8))
        try writeFile(root + "/src/dir/inner", Array("inner\n".utf8))
        try writeFile(root + "/src/secret", Array("root only\n".utf8), mode: 0o600)
        try makeSymlink(root + "/src/link", to: "plain")
        for path in ["/src/plain", "/src/dir/inner", "/src/secret", "/src/dir", "/src"] {
            try setModificationTime(root + path, seconds: 1_500_000_000)
        }
        try makeDirectory(root + "/dst")
        try changeOwner(root + "/dst", uid: nobody, gid: nobody)
        try makeDirectory(root + "/locked")
    }

    struct Run {
        var output: ProcessOutput
        var tree: TreeSnapshot?
    }

    /// Each tool in its own copy of the fixture, `arguments` with `ROOT` replaced by that copy's path.
    static func runBoth(_ arguments: [String], label: String, remote: RemoteHost? = nil) throws -> [String: Run] {
        let scratch = try TemporaryDirectory("copy-as-" + label)
        try changeMode(scratch.path, 0o755)
        var runs: [String: Run] = [:]
        for tool in ["rsync", "swsync"] {
            let root = scratch.path + "/" + tool
            try makeDirectory(root)
            try prepare(root)
            let words = arguments.map { $0.replacingOccurrences(of: "ROOT", with: root) }
            let output: ProcessOutput
            if let remote {
                output = tool == "rsync"
                    ? try remote.runRsync(words, in: root, outputPrefix: root + ".out")
                    : try remote.runSwsync(words, transport: .libssh, in: root, outputPrefix: root + ".out")
            } else {
                output = try Subprocess(executable: tool == "rsync" ? Tools.rsync! : Tools.swsync, arguments: words,
                    directory: root, outputPrefix: root + ".out").wait()
            }
            runs[tool] = Run(output: output, tree: try? TreeSnapshot(root + "/dst"))
        }
        return runs
    }

    static func expectSame(_ runs: [String: Run], _ label: String) {
        let rsync = runs["rsync"]!, swsync = runs["swsync"]!
        #expect(swsync.output.termination == rsync.output.termination,
            "\(label): \(swsync.output.stderrText) vs rsync's \(rsync.output.stderrText)")
        #expect(Set(swsync.output.stdoutText.split(separator: "\n")) == Set(rsync.output.stdoutText.split(separator: "\n")),
            "\(label): \(swsync.output.stdoutText) vs rsync's \(rsync.output.stdoutText)")
        if let a = rsync.tree, let b = swsync.tree {
            let differences = TreeComparison.differences(a, b, labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, "\(label): \(differences)")
        }
        // rsync prints a refusal once per half; the first line is the message.
        #expect(firstLine(swsync.output.stderrText) == firstLine(rsync.output.stderrText), "\(label)")
    }

    /// The first stderr line, with the program name and rsync's role tag left out.
    static func firstLine(_ text: String) -> String {
        let line = String(text.split(separator: "\n").first ?? "")
        return line.replacingOccurrences(of: "swsync", with: "rsync").replacingOccurrences(of: " [sender]", with: "")
    }

    /// Files made as nobody (owned by nobody, `-o` not applied), the root-only file refused with exit 23.
    @Test(arguments: [["-ai", "--copy-as=nobody"], ["-ai", "--copy-as=nobody:daemon"], ["-ai", "--copy-as=65534:1"],
        ["-ai", "--copy-as=nobody", "--exclude=secret"], ["-ain", "--copy-as=nobody"]])
    func copiesAsTheUser(_ options: [String]) throws {
        let runs = try Self.runBoth(options + ["src/", "dst/"], label: "local")
        Self.expectSame(runs, "\(options)")
        let tree = try #require(runs["swsync"]?.tree)
        if !options.contains("-ain") {
            #expect(tree["plain"]?.uid == Self.nobody, "plain is not nobody's")
            #expect(tree["secret"] == nil, "a file only root may read was copied")
        }
    }

    /// Unknown names, a destination the user may not write, and a caller that may not switch users.
    @Test(arguments: [["--copy-as=nosuchuser"], ["--copy-as=nobody:nosuchgroup"], ["--copy-as=", "-n"]])
    func refusesWhatRsyncRefuses(_ options: [String]) throws {
        Self.expectSame(try Self.runBoth(["-a"] + options + ["src/", "dst/"], label: "refusal"), "\(options)")
    }

    @Test func destinationTheUserMayNotWrite() throws {
        Self.expectSame(try Self.runBoth(["-a", "--copy-as=nobody", "src/", "locked/new/"], label: "locked"), "locked")
    }

    @Test func callerWithoutTheRightToSwitch() throws {
        let scratch = try TemporaryDirectory("copy-as-unprivileged")
        let results = try Unprivileged.runBoth(in: scratch.path, ["-a", "--copy-as=nobody", "src/", "dst/"]) { root in
            try makeDirectories(root + "/src")
            try writeFile(root + "/src/f", Array("f".utf8))
            try makeDirectory(root + "/dst")
            for path in ["", "/src", "/src/f", "/dst"] { try changeOwner(root + path, uid: Self.nobody, gid: Self.nobody) }
        }
        #expect(results.swsync.output.termination == results.rsync.output.termination)
        #expect(results.rsync.output.termination == .exited(1))
        #expect(results.swsync.output.stderrText.hasPrefix("swsync: setgroups failed: Operation not permitted (1)"),
            "\(results.swsync.output.stderrText)")
    }

    /// A local copy has one process, so the receiving half cannot take an identity of its own.
    @Test func localRemoteOptionIsRefused() throws {
        let scratch = try TemporaryDirectory("copy-as-local-m")
        try Self.prepare(scratch.path)
        let output = try Subprocess(executable: Tools.swsync, arguments: ["-a", "-M--copy-as=nobody", "src/", "dst/"],
            directory: scratch.path, outputPrefix: scratch.path + "/out").wait()
        #expect(output.termination == .exited(4), "\(output.stderrText)")
        #expect(try directoryEntries(scratch.path + "/dst").isEmpty)
    }

    /// Over ssh: `-M--copy-as` on the peer (a push), `--copy-as` on the local receiver (a pull).
    @Test(.enabled(if: RemoteHost.isAvailable, "needs openssh-server/openssh-client"),
        arguments: [true, false])
    func remoteEnds(_ pushes: Bool) throws {
        let host = try RemoteHost.sharedHost()
        let arguments = pushes
            ? ["-ai", "-M--copy-as=nobody", "ROOT/src/", host.remote("ROOT/dst/")]
            : ["-ai", "--copy-as=nobody", host.remote("ROOT/src/"), "ROOT/dst/"]
        let runs = try Self.runBoth(arguments, label: pushes ? "push" : "pull", remote: host)
        Self.expectSame(runs, pushes ? "push" : "pull")
        #expect(runs["swsync"]?.tree?["plain"]?.uid == Self.nobody)
    }
}
