import Foundation
import SyncTestSupport
import Testing

/// `--files-from=HOST:FILE` and `--files-from=:FILE`: the list is read on the remote end, relative to the
/// server's working directory (a pull's sender reads it itself; a push's receiver sends it to the local
/// sender). Each case runs rsync 3.5.0 and swsync over the same local remote shell (`sh -c`, so the server's
/// working directory is the client's) on copies of one fixture: exit status, `-i` lines, the
/// `link_stat` and files-from messages, and the destination trees compared.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct RemoteFilesFromTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var options: [String]
        /// The list file, as named after the host part.
        var list: String
        /// The source directory, as named on the command line.
        var source: String
        var pulls: Bool
        /// `localhost:FILE` rather than `:FILE`.
        var namesHost = false
        var oracleExit: Int32 = 0
        /// A local list on standard input (`--files-from=-`) instead: the same data on the other side.
        var fromStandardInput = false

        var listOption: String {
            fromStandardInput ? "--files-from=-" : "--files-from=\(namesHost ? "localhost" : ""):\(list)"
        }

        var testDescription: String {
            "\(pulls ? "pull" : "push") \((options + [listOption, source]).joined(separator: " "))"
                + (fromStandardInput ? " < \(list)" : "")
        }
    }

    /// rsync's own test list: entries with their own `/./`, a trailing slash for a directory's contents.
    static let dotted = "from/./\nfrom/./dir/subdir\nfrom/./dir/subdir/subsubdir\nfrom/./dir/subdir/subsubdir2/\nfrom/./dir/subdir/foobar.baz\n"
    /// Comments, a blank line, CR LF, `..` and a leading slash.
    static let plain = "# comment\n;semi\ntop\n\ndir/subdir/\nother\r\n../../other/z\n/dir/text\n"
    /// NUL-separated, with a comment.
    static let nul = "top\0dir/subdir/subsubdir2\0#c\0other/z\0"

    static let cases: [Case] = [true, false].flatMap { pulls in
        [
            Case(options: ["-ai"], list: "dotted", source: "scratch", pulls: pulls),
            Case(options: ["-ai", "-r"], list: "dotted", source: "scratch", pulls: pulls, namesHost: true),
            Case(options: ["-ai"], list: "plain", source: "scratch/from/", pulls: pulls, namesHost: true,
                oracleExit: pulls ? 0 : 23),
            // rsync 3.5.0 skips comments only in a list it reads from a file itself: a push's sender gets
            // this one over the connection and looks the comment lines up as names.
            Case(options: ["-ai", "-r"], list: "plain", source: "scratch/from", pulls: pulls, oracleExit: pulls ? 0 : 23),
            Case(options: ["-ai", "--no-R"], list: "plain", source: "scratch/from/", pulls: pulls, oracleExit: pulls ? 0 : 23),
            Case(options: ["-ai", "--from0"], list: "nul", source: "scratch/from/", pulls: pulls, oracleExit: pulls ? 0 : 23),
            Case(options: ["-ai", "-r", "--from0"], list: "nul", source: "scratch/from", pulls: pulls, namesHost: true,
                oracleExit: pulls ? 0 : 23),
            // Without --from0 a file read on a pull's server ends its first name at the first NUL; a list
            // sent over the connection is split at every NUL.
            Case(options: ["-ai"], list: "nul", source: "scratch/from/", pulls: pulls, oracleExit: pulls ? 0 : 23),
            // A local list travels the other way: comments are names on a pull, skipped on a push.
            Case(options: ["-ai"], list: "plain", source: "scratch/from/", pulls: pulls, oracleExit: pulls ? 23 : 0,
                fromStandardInput: true),
            Case(options: ["-ai", "-r"], list: "dotted", source: "scratch", pulls: pulls, fromStandardInput: true),
        ]
    }

    /// The fixture, made once per tool under `root`: the tree (fixed times), the lists and the remote shell.
    static func prepare(_ root: String) throws {
        let files = ["from/dir/text", "from/dir/subdir/foobar.baz", "from/dir/subdir/subsubdir/x",
            "from/dir/subdir/subsubdir2/y", "from/other/z", "from/top"]
        for file in files {
            let path = root + "/scratch/" + file
            try makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
            try writeFile(path, Array(file.utf8))
        }
        for (name, content) in [("dotted", dotted), ("plain", plain), ("nul", nul)] {
            try writeFile(root + "/" + name, Array(content.utf8))
        }
        for directory in ["", "/dir", "/dir/subdir", "/dir/subdir/subsubdir", "/dir/subdir/subsubdir2", "/other"] {
            try setModificationTime(root + "/scratch/from" + directory, seconds: 1_600_000_000)
        }
        for file in files { try setModificationTime(root + "/scratch/" + file, seconds: 1_600_000_000) }
        try setModificationTime(root + "/scratch", seconds: 1_600_000_000)
    }

    /// Run by `sh` (`-e "sh FILE"`), never executed itself: a file just written may still be open in a
    /// child another test forked meanwhile, and executing it would fail with ETXTBSY.
    static let remoteShell = "shift\nexec sh -c \"$*\"\n"

    /// Runs `arguments` through rsync and swsync, each in its own copy of the fixture (its working
    /// directory), with `HOST:` in an operand standing for the local remote shell; `standardInput` names a
    /// file of the fixture to read from standard input.
    static func runBoth(_ arguments: [String], scratch: String, standardInput: String? = nil) throws
        -> [String: (ProcessOutput, String)]
    {
        try writeFile(scratch + "/rsh.sh", Array(remoteShell.utf8))
        var results: [String: (ProcessOutput, String)] = [:]
        for tool in [("rsync", Tools.rsync!, "rsync"), ("swsync", Tools.swsync, RemoteHost.absoluteSwsync)] {
            let root = scratch + "/" + tool.0
            try prepare(root)
            let command = [tool.1, "-e", "sh " + scratch + "/rsh.sh", "--rsync-path=\(tool.2)"] + arguments
            let output = try Subprocess(executable: standardInput == nil ? tool.1 : "/bin/sh",
                arguments: standardInput.map { ["-c", "exec \"$0\" \"$@\" < \($0)"] + command } ?? Array(command.dropFirst()),
                directory: root, outputPrefix: scratch + "/" + tool.0 + "-out").wait()
            results[tool.0] = (output, root)
        }
        return results
    }

    /// The lines both tools print about names and lists, without the program's name and the run's directory.
    static func messages(_ output: ProcessOutput, root: String) -> [String] {
        output.stderrText.split(separator: "\n").map(String.init)
            .filter { $0.contains("link_stat") || $0.contains("files-from") }
            .map {
                $0.replacingOccurrences(of: "rsync: ", with: "").replacingOccurrences(of: "swsync: ", with: "")
                    .replacingOccurrences(of: root, with: "ROOT")
            }
            .sorted()
    }

    @Test(arguments: cases)
    func matchesRsync(_ testCase: Case) throws {
        let scratch = try TemporaryDirectory("remote-files-from")
        let operands = testCase.pulls ? ["localhost:" + testCase.source, "dst/"] : [testCase.source, "localhost:dst/"]
        let results = try Self.runBoth(testCase.options + [testCase.listOption] + operands, scratch: scratch.path,
            standardInput: testCase.fromStandardInput ? testCase.list : nil)
        let (rsync, rsyncRoot) = results["rsync"]!, (swsync, swsyncRoot) = results["swsync"]!
        try #require(rsync.termination == .exited(testCase.oracleExit), Comment(rawValue: "rsync: \(rsync.stderrText)"))
        #expect(swsync.termination == rsync.termination, Comment(rawValue: swsync.stderrText))
        let lines = [rsync, swsync].map { $0.stdoutText.split(separator: "\n").map(String.init).sorted() }
        #expect(!lines[0].isEmpty, "rsync itemized nothing")
        #expect(lines[1] == lines[0], "itemize lines differ")
        #expect(Self.messages(swsync, root: swsyncRoot) == Self.messages(rsync, root: rsyncRoot))
        let differences = TreeComparison.differences(try TreeSnapshot(rsyncRoot + "/dst"),
            try TreeSnapshot(swsyncRoot + "/dst"), labels: ("rsync", "swsync"), ignoringMtimeOf: ["."])
        #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var oracleExit: Int32
        /// What both print (without the program's name).
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let refusals: [Refusal] = [
        // A missing list ends the server while it reads its options: the client sees the link close (12).
        Refusal(arguments: ["-a", "--files-from=:missing", "localhost:scratch/from/", "dst/"], oracleExit: 12,
            message: "failed to open files-from file missing: No such file or directory"),
        Refusal(arguments: ["-a", "--files-from=localhost:missing", "scratch/from/", "localhost:dst/"], oracleExit: 12,
            message: "failed to open files-from file missing: No such file or directory"),
        Refusal(arguments: ["-a", "--files-from=other:plain", "localhost:scratch/from/", "dst/"], oracleExit: 1,
            message: "--files-from hostname is not the same as the transfer hostname"),
        Refusal(arguments: ["-a", "--files-from=other:plain", "scratch/from/", "localhost:dst/"], oracleExit: 1,
            message: "--files-from hostname is not the same as the transfer hostname"),
        Refusal(arguments: ["-a", "--files-from=localhost:plain", "u@localhost:scratch/from/", "dst/"], oracleExit: 1,
            message: "--files-from hostname is not the same as the transfer hostname"),
        Refusal(arguments: ["-a", "--files-from=localhost:plain", "scratch/from/", "dst/"], oracleExit: 1,
            message: "--files-from cannot be remote when the transfer is local"),
        Refusal(arguments: ["-a", "--files-from=:plain", "scratch/from/", "dst/"], oracleExit: 1,
            message: "--files-from cannot be remote when the transfer is local"),
        Refusal(arguments: ["-a", "--files-from=:-", "scratch/from/", "localhost:dst/"], oracleExit: 1,
            message: "Invalid --files-from remote filename"),
    ]

    /// rsync's refusals, with its exit codes and messages; nothing is made at the destination.
    @Test(arguments: refusals)
    func refusesLikeRsync(_ refusal: Refusal) throws {
        let scratch = try TemporaryDirectory("remote-files-from-refusal")
        let results = try Self.runBoth(refusal.arguments, scratch: scratch.path)
        for (tool, (output, root)) in results {
            #expect(output.termination == .exited(refusal.oracleExit), "\(tool): \(output.stderrText)")
            #expect(Self.messages(output, root: root).contains(refusal.message), "\(tool): \(output.stderrText)")
            if refusal.oracleExit == 12 {
                #expect(output.stderrText.contains("connection unexpectedly closed (0 bytes received so far)"),
                    "\(tool): \(output.stderrText)")
            }
            #expect(!exists(root + "/dst"), "\(tool) made the destination")
        }
    }
}
