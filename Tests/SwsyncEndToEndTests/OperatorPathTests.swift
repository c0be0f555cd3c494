import Glibc
import SyncTestSupport
import Testing

/// rsync 3.5.0's rule for the paths an operator names (the destination root, `--temp-dir`, `--backup-dir`,
/// `--link-dest`, rules files, `--files-from`, `--log-file`): a symlink on the way is followed only when root
/// or the running user owns it. Each case plants `link -> real` owned by `nobody` and runs rsync and swsync
/// with the same arguments: the same exit status, the same messages (program names and rsync's source
/// locations aside), the same stdout, and nothing written through the link. The same link owned by root,
/// or `--insecure-links`, is followed.
@Suite(
    .tags(.large, .differential),
    .enabled(if: Tools.rsyncAvailable, "reference rsync not found"),
    .enabled(if: getuid() == 0, "needs root, to plant a symlink owned by another user")
)
struct OperatorPathTests {
    struct Case: Sendable, CustomTestStringConvertible {
        /// Options and operands; "@" stands for the run directory's absolute path.
        var arguments: [String]
        var oracleExit: Int32
        /// Whether stdout and stderr are compared too (see the cases that say why not).
        var comparesOutput = true
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let nobody: uid_t = 65534

    static let plantedCases: [Case] = [
        Case(arguments: ["-ai", "src/", "@/link/"], oracleExit: 3),
        Case(arguments: ["-ai", "src/", "link"], oracleExit: 3),
        Case(arguments: ["-ai", "--temp-dir=@/link", "src/", "dst/"], oracleExit: 23),
        Case(arguments: ["-ai", "-b", "--backup-dir=@/link", "src/", "dst/"], oracleExit: 11),
        // rsync's generator makes this backup before it itemizes the file and words the failure as an unlink;
        // swsync's receiver fails the write after the itemize line. The same exit, the file left as it was.
        Case(arguments: ["-ai", "--inplace", "-b", "--backup-dir=@/link", "src/", "dst/"], oracleExit: 23,
            comparesOutput: false),
        Case(arguments: ["-ai", "--link-dest=@/link/ld", "src/", "fresh/"], oracleExit: 0),
        Case(arguments: ["-ai", "--compare-dest=@/link/ld", "src/", "fresh/"], oracleExit: 0),
        Case(arguments: ["-ai", "--exclude-from=@/link/list", "src/", "dst/"], oracleExit: 11),
        Case(arguments: ["-ai", "--include-from=@/link/list", "src/", "dst/"], oracleExit: 11),
        Case(arguments: ["-ai", "--filter=merge @/link/list", "src/", "dst/"], oracleExit: 11),
        Case(arguments: ["-ai", "--files-from=@/link/list", "src/", "dst/"], oracleExit: 1),
        Case(arguments: ["-ai", "--log-file=@/link/log", "src/", "dst/"], oracleExit: 0),
        Case(arguments: ["-ai", "--no-whole-file", "--partial-dir=@/link", "src/", "dst/"], oracleExit: 0),
        // (With a partial file behind the planted link, rsync 3.5.0 sends a delta against the partial and then
        // refuses to open it: "got a block match with no basis file", exit 2. swsync uses no basis there.)
        // A per-directory rules file that is the planted link: rsync warns for it, swsync skips it silently.
        Case(arguments: ["-aiF", "ruled/", "dst/"], oracleExit: 0, comparesOutput: false),
    ]

    @Test(arguments: plantedCases)
    func aSymlinkPlantedByAnotherUserIsRefusedAsRsyncRefusesIt(_ testCase: Case) throws {
        let runs = try runBoth(testCase, owner: Self.nobody)
        try compare(runs, testCase)
        for run in runs {
            #expect(try run.realEntries() == Self.realEntries, "\(run.label) wrote through the planted link")
        }
    }

    static let ownCases: [Case] = [
        Case(arguments: ["-ai", "src/", "@/link/"], oracleExit: 0),
        Case(arguments: ["-ai", "--temp-dir=@/link", "src/", "dst/"], oracleExit: 0),
        Case(arguments: ["-ai", "-b", "--backup-dir=@/link", "src/", "dst/"], oracleExit: 0),
        Case(arguments: ["-ai", "--link-dest=@/link/ld", "src/", "fresh/"], oracleExit: 0),
        Case(arguments: ["-ai", "--exclude-from=@/link/list", "src/", "dst/"], oracleExit: 0),
        Case(arguments: ["-ai", "--files-from=@/link/list", "src/", "dst/"], oracleExit: 0),
        // An absolute partial directory is made through the link and kept after the run, as rsync keeps it.
        Case(arguments: ["-ai", "--delay-updates", "--partial-dir=@/link/sub", "src/", "dst/"], oracleExit: 0),
    ]

    /// The operator's own link (root's, the running user's) keeps working.
    @Test(arguments: ownCases)
    func theOperatorsOwnSymlinkIsFollowed(_ testCase: Case) throws {
        let runs = try runBoth(testCase, owner: 0)
        try compare(runs, testCase)
        #expect(try runs[0].realEntries() == runs[1].realEntries(), "the link's target differs")
    }

    /// `--insecure-links` follows a planted link again, as before rsync 3.5.
    @Test(arguments: [
        Case(arguments: ["-ai", "--insecure-links", "src/", "@/link/"], oracleExit: 0),
        Case(arguments: ["-ai", "--insecure-links", "--exclude-from=@/link/list", "src/", "dst/"], oracleExit: 0),
    ])
    func insecureLinksFollowsAPlantedSymlink(_ testCase: Case) throws {
        try compare(try runBoth(testCase, owner: Self.nobody), testCase)
    }

    // MARK: Running both

    /// What `real/` (the link's target) holds before a run.
    static let realEntries = ["ld", "list"]

    struct Run {
        /// Keeps the runs' directories until the run is compared.
        var scratch: TemporaryDirectory
        var label: String
        var directory: String
        var output: ProcessOutput

        func realEntries() throws -> [String] { try directoryEntries(directory + "/real").sorted() }
    }

    func runBoth(_ testCase: Case, owner: uid_t) throws -> [Run] {
        let rsync = try #require(Tools.rsync, "reference rsync not found")
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        let scratch = try TemporaryDirectory("operator-path")
        var runs: [Run] = []
        for (label, executable) in [("rsync", rsync), ("swsync", Tools.swsync)] {
            let run = scratch.path + "/" + label
            try makeDirectory(run)
            try makeDirectory(run + "/src")
            try writeFile(run + "/src/a", Array("new contents\n".utf8))
            try makeDirectory(run + "/dst")
            try writeFile(run + "/dst/a", Array("old\n".utf8))
            try setModificationTime(run + "/dst/a", seconds: 946_684_800)
            try makeDirectory(run + "/real")
            try makeDirectory(run + "/real/ld")
            try writeFile(run + "/real/list", Array("a\n".utf8))
            try writeFile(run + "/real/ld/a", Array("new contents\n".utf8))
            try makeSymlink(run + "/link", to: run + "/real")
            // A source whose per-directory rules file is the link's.
            try makeDirectory(run + "/ruled")
            try writeFile(run + "/ruled/a", Array("a\n".utf8))
            try makeSymlink(run + "/ruled/.rsync-filter", to: run + "/real/list")
            for link in [run + "/link", run + "/ruled/.rsync-filter"] {
                #expect(lchown(link, owner, owner) == 0, "lchown \(link)")
            }
            for path in ["/src/a", "/src", "/real/ld/a", "/ruled/a", "/ruled"] {
                try setModificationTime(run + path, seconds: 1_234_567_890)
            }
            let arguments = testCase.arguments.map { $0.replacingOccurrences(of: "@", with: run) }
            let output = try Subprocess.run(executable, arguments, in: run, outputPrefix: run + "-out")
            runs.append(Run(scratch: scratch, label: label, directory: run, output: output))
        }
        return runs
    }

    func compare(_ runs: [Run], _ testCase: Case) throws {
        let (oracle, tested) = (runs[0], runs[1])
        let context = "\nrsync stderr:\n\(oracle.output.stderrText)\nswsync stderr:\n\(tested.output.stderrText)"
        #expect(oracle.output.termination == .exited(testCase.oracleExit),
            Comment(rawValue: "HARNESS: rsync ended with \(oracle.output.termination)" + context))
        #expect(tested.output.termination == oracle.output.termination,
            Comment(rawValue: "exit status: rsync \(oracle.output.termination), swsync \(tested.output.termination)"
                + context))
        for run in runs {
            #expect(try readAllBytes(run.directory + "/dst/a") == Array("old\n".utf8) || testCase.oracleExit == 0,
                "\(run.label) replaced dst/a although the run failed")
        }
        if testCase.comparesOutput {
            let stdout = runs.map { $0.output.stdoutText.replacingOccurrences(of: $0.directory, with: "@") }
            #expect(stdout[0] == stdout[1], Comment(rawValue: "stdout:\nrsync:\n\(stdout[0])\nswsync:\n\(stdout[1])"))
            let messages = runs.map { Self.messages($0.output.stderrText, directory: $0.directory) }
            #expect(messages[0] == messages[1], Comment(rawValue: "messages differ" + context))
        }
    }

    /// The distinct lines of stderr, each with its program name as "PROG", rsync's "at FILE(LINE)" and
    /// version suffix dropped, and the run directory as "@" (rsync repeats a warning per lookup).
    static func messages(_ stderr: String, directory: String) -> Set<String> {
        Set(stderr.split(separator: "\n").map { line in
            var text = String(line).replacingOccurrences(of: directory, with: "@")
            for program in ["rsync", "swsync"] {
                if text.hasPrefix(program + ":") || text.hasPrefix(program + " error:") {
                    text = "PROG" + text.dropFirst(program.count)
                }
            }
            if let at = text.range(of: " at ", options: .backwards), text.hasPrefix("PROG error:") {
                text = String(text[..<at.lowerBound])
            } else if let bracket = text.range(of: " [", options: .backwards), text.hasPrefix("PROG error:") {
                text = String(text[..<bracket.lowerBound])
            }
            return text
        })
    }
}
