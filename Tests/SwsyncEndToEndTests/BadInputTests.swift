import SyncTestSupport
import Testing

/// Invalid command lines and impossible requests: swsync must fail like rsync (same exit status, a message on
/// stderr, no stray output) and must not create anything rsync would not.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct BadInputTests {
    struct BadInput: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        /// rsync's exit status, checked so a mistyped case cannot pass vacuously.
        var oracleExit: Int32
        /// Whether `dst` must not exist afterwards (true for every command-line error).
        var createsNothing = true

        var testDescription: String {
            arguments.isEmpty ? "(no arguments)" : arguments.joined(separator: " ")
        }
    }

    static let cases: [BadInput] = [
        BadInput(arguments: ["--bogus", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "src/", "dst/", "--no-such-option"], oracleExit: 1),
        BadInput(arguments: ["--max-delete=abc", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a"], oracleExit: 1),  // no source
        BadInput(arguments: [], oracleExit: 1),
        BadInput(arguments: ["-a", "src/", "dst/", "-e"], oracleExit: 1),  // -e without its value
        BadInput(arguments: ["-a", "--link-dest"], oracleExit: 1),
        BadInput(arguments: ["-a", "--delete-before", "--delete-after", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--chmod=bogus", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--modify-window=x", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--inplace", "--partial-dir=x", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "-b", "--suffix=/", "src/", "dst/"], oracleExit: 1),
        // Filter rules: a malformed rule, an unknown modifier, a missing rules file, a bad rule in a file.
        BadInput(arguments: ["-a", "--filter=zz x", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "-f", "-z foo", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "-f", "merge", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--exclude-from=nope", "src/", "dst/"], oracleExit: 11),
        BadInput(arguments: ["-a", "--include-from=nope", "src/", "dst/"], oracleExit: 11),
        BadInput(arguments: ["-a", "-f", "merge nope", "src/", "dst/"], oracleExit: 11),
        BadInput(arguments: ["-a", "--filter=merge src/file.txt", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--files-from=nope", "src/", "dst/"], oracleExit: 1),
        // --files-from takes one source and a destination (rsync checks before it opens the list).
        BadInput(arguments: ["-a", "--files-from=nope", "src/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--files-from=nope", "src/", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--zc=foo", "src/", "dst/"], oracleExit: 4),
        BadInput(arguments: ["-a", "--checksum-choice=foo", "src/", "dst/"], oracleExit: 4),
        BadInput(arguments: ["-a", "nosuch/", "dst/"], oracleExit: 23, createsNothing: false),
        BadInput(arguments: ["-a", "src/", "missing/parent/dst/"], oracleExit: 11),
        BadInput(arguments: ["-a", "--temp-dir=/nonexistent-swsync-e2e", "src/", "dst/"], oracleExit: 1,
            createsNothing: false),
        BadInput(arguments: ["-a", "--confine-root=relative", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--confine-root=", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--confine-root=/tmp", "--insecure-links", "src/", "dst/"], oracleExit: 1),
        BadInput(arguments: ["-a", "--insecure-links", "--confine-root=/tmp", "src/", "dst/"], oracleExit: 1),
    ]

    @Test(arguments: cases)
    func failsLikeRsync(_ badInput: BadInput) throws {
        let rsync = try #require(Tools.rsync, "reference rsync not found")
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))

        let directory = try TemporaryDirectory("bad-input")
        var outputs: [ProcessOutput] = []
        var snapshots: [TreeSnapshot] = []
        for (label, executable) in [("rsync", rsync), ("swsync", Tools.swsync)] {
            let run = directory.path + "/" + label
            try makeDirectory(run)
            try makeDirectory(run + "/src")
            try writeFile(run + "/src/file.txt", Fixture.content("bad-input", size: 100))
            try setModificationTime(run + "/src/file.txt", seconds: 1_234_567_890)
            try setModificationTime(run + "/src", seconds: 1_234_567_890)
            try setModificationTime(run, seconds: 1_234_567_890)
            outputs.append(
                try Subprocess.run(executable, badInput.arguments, in: run, outputPrefix: directory.path + "/" + label))
            snapshots.append(try TreeSnapshot(run))
        }
        let context = "\nrsync stderr: \(outputs[0].stderrText)\nswsync stderr: \(outputs[1].stderrText)"

        #expect(
            outputs[0].termination == .exited(badInput.oracleExit),
            Comment(rawValue: "HARNESS: rsync ended with \(outputs[0].termination)" + context))
        #expect(
            outputs[1].termination == outputs[0].termination,
            Comment(rawValue: "exit status: rsync \(outputs[0].termination), swsync \(outputs[1].termination)"
                + context))
        #expect(!outputs[1].stderr.isEmpty || outputs[0].stderr.isEmpty, "swsync printed no error message")
        #expect(
            outputs[1].stdoutText == outputs[0].stdoutText,
            Comment(rawValue: "stdout differs:\n" + DifferentialRunner.lineDiff(
                OutputFilter.exact.apply(outputs[0].stdout), OutputFilter.exact.apply(outputs[1].stdout))))
        let differences = TreeComparison.differences(snapshots[0], snapshots[1], labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: "trees differ:\n" + TreeComparison.report(differences)))
        if badInput.createsNothing {
            #expect(snapshots[1]["dst"] == nil && snapshots[1]["missing"] == nil, "swsync created something")
        }
    }
}
