import Glibc
import SyncTestSupport
import Testing

/// `--match-full-path` (our extension, juicefs sync's name): rules see each whole relative path, the first
/// match decides, and excluded directories are still walked, so an included file deep inside arrives with
/// its parents. rsync has no such mode, so these compare against fixed expectations.
@Suite(.tags(.large))
struct FullPathModeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var rules: [String]
        /// Every path of the destination afterwards (directories with a trailing slash).
        var expected: [String]
        var testDescription: String { rules.joined(separator: " ") }
    }

    static let cases: [Case] = [
        Case(rules: ["--include=a/b/c/deep.txt", "--exclude=*"],
            expected: ["a/", "a/b/", "a/b/c/", "a/b/c/deep.txt"]),
        Case(rules: ["--include=**.gz", "--exclude=*"], expected: ["top.gz", "x/", "x/y/", "x/y/data.gz"]),
        Case(rules: ["--exclude=**.gz"],
            expected: ["a/", "a/b/", "a/b/c/", "a/b/c/deep.txt", "a/b/other.txt", "x/", "x/y/", "z/", "z/n.txt"]),
        // juicefs's example: 'a*.txt' does not match across '/', 'c1.txt' matches the last component.
        Case(rules: ["--include=a*.txt", "--include=deep.txt", "--exclude=*.txt", "--exclude=*.gz"],
            expected: ["a/", "a/b/", "a/b/c/", "a/b/c/deep.txt", "x/", "x/y/", "z/"]),
        // No pruning: excluding the directory a/b does not exclude the files below it that a later rule includes.
        Case(rules: ["--exclude=a/b/", "--include=a/**", "--exclude=*"],
            expected: ["a/", "a/b/", "a/b/c/", "a/b/c/deep.txt", "a/b/other.txt"]),
        // a/b itself is not matched by a/b/** (nothing after the slash), so a/** includes it, empty.
        Case(rules: ["--exclude=a/b/**", "--include=a/**", "--exclude=*"], expected: ["a/", "a/b/"]),
    ]

    @Test(arguments: cases)
    func selectsWholePaths(_ testCase: Case) throws {
        try #require(Tools.swsyncAvailable, Comment(rawValue: Tools.missingBinaryMessage))
        guard !Tools.binaryUnderTestIsRsync else { return }  // rsync has no full-path mode
        let directory = try TemporaryDirectory("full-path")
        let src = directory.path + "/src"
        for path in ["a/b/c", "x/y", "z"] { try makeDirectories(src + "/" + path) }
        for file in ["a/b/c/deep.txt", "a/b/other.txt", "x/y/data.gz", "top.gz", "z/n.txt"] {
            try writeFile(src + "/" + file, Fixture.content(file, size: 10))
        }
        let arguments = ["-a", "--match-full-path"] + testCase.rules + ["src/", "dst/"]
        let output = try Subprocess.run(Tools.swsync, arguments, in: directory.path, outputPrefix: directory.path + "/out")
        #expect(output.termination == .exited(0), "stderr: \(output.stderrText)")
        var found: [String] = []
        try Fixture.walkPaths(directory.path + "/dst") { relative in
            let isDirectory = (fileStatus(directory.path + "/dst/" + relative)?.st_mode ?? 0) & S_IFMT == S_IFDIR
            found.append(relative + (isDirectory ? "/" : ""))
        }
        #expect(found.sorted() == testCase.expected.sorted())
    }
}
