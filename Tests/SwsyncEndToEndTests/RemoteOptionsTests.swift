import Foundation
import SyncTestSupport
import Testing

/// The local options over a remote link, against rsync run the same way: the rich tree pushed and pulled
/// over the test sshd into a stale destination, comparing the resulting trees and the `-i` lines.
@Suite(
    .tags(.large, .remote),
    .remoteAgainstRsync
)
struct RemoteOptionsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var options: [String]
        var pushes: Bool
        var testDescription: String { "\(pushes ? "push" : "pull") \(label)" }
    }

    static let optionSets: [(String, [String])] = [
        ("delete", ["-a", "-i", "--delete"]),
        ("filters", ["-a", "-i", "--delete", "--exclude=*.bin", "--include=dir1/", "-f", "- *.txt"]),
        ("dry run", ["-a", "-n", "-i", "--delete"]),
        ("link-dest", ["-a", "-i", "--link-dest=REF"]),
        ("checksum", ["-a", "-i", "-c"]),
        ("hard links", ["-aH", "-i"]),
        ("compress", ["-a", "-i", "-z"]),
        ("inplace", ["-a", "-i", "--inplace"]),
        ("delete-before", ["-a", "-i", "--delete-before"]),
        ("backup", ["-a", "-i", "-b", "--delete"]),
        ("update, size-only", ["-a", "-i", "-u", "--size-only"]),
        ("whole-file, numeric", ["-a", "-i", "-W", "--numeric-ids"]),
        ("files-from", ["-a", "-i", "--files-from=LIST"]),
        // The list read on the peer (its absolute path there), by the pull's sender or the push's receiver.
        ("files-from on the peer", ["-a", "-i", "--files-from=:LIST"]),
        ("prune-empty-dirs", ["-a", "-i", "-m", "--delete", "--exclude=*.bin", "--exclude=*.txt"]),
        ("remove-source-files", ["-a", "-i", "--remove-source-files"]),
        ("delay-updates", ["-a", "-i", "--delay-updates", "--delete"]),
        ("sparse", ["-aS", "-i"]),
        ("fuzzy", ["-a", "-i", "-y", "--delete-after"]),
        ("chown, usermap", ["-a", "-i", "--chown=:nogroup", "--usermap=*:nobody"]),
        ("file sums", ["-a", "--out-format=%i %C %n"]),
    ]

    static let cases = optionSets.flatMap { label, options in
        [true, false].map { Case(label: label, options: options, pushes: $0) }
    }

    @Test(arguments: cases)
    func matchesRsync(_ testCase: Case) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-options")
        let absolute = scratch.path + "/abs"
        let template = scratch.path + "/template"
        try Fixture.buildOutside(runTemplate: template, absoluteTarget: absolute)
        try Fixture.buildRichTree(at: template + "/src", absoluteTarget: absolute)
        try copyTree(template + "/src", to: template + "/dst")
        try Fixture.makeStale(destination: template + "/dst", source: template + "/src")
        try copyTree(template + "/src", to: template + "/ref")
        for tool in ["rsync", "swsync"] { try copyTree(template, to: scratch.path + "/" + tool) }
        let list = scratch.path + "/list.txt"
        try writeFile(list, Array("f4096.bin\na/b/c\nhard/h1\n.dotdir/\n".utf8))

        var lines: [String: [String]] = [:]
        for tool in ["rsync", "swsync"] {
            let run = scratch.path + "/" + tool
            let options = testCase.options.map {
                $0 == "--link-dest=REF" ? "--link-dest=\(run)/ref" : $0.replacingOccurrences(of: "LIST", with: list)
            }
            let operands = testCase.pushes
                ? [run + "/src/", host.remote(run + "/dst/")]
                : [host.remote(run + "/src/"), run + "/dst/"]
            let capture = scratch.path + "/" + tool + "-out"
            let output = tool == "rsync"
                ? try host.runRsync(options + operands, in: run, outputPrefix: capture)
                : try host.runSwsync(options + operands, transport: .libssh, in: run, outputPrefix: capture)
            try #require(output.termination == .exited(0),
                Comment(rawValue: "\(tool) ended with \(output.termination): \(output.stderrText)"))
            lines[tool] = output.stdoutText.split(separator: "\n").map(String.init).sorted()
            try #require(!lines[tool]!.isEmpty, "\(tool) itemized nothing")
        }
        #expect(lines["swsync"] == lines["rsync"], "itemize lines differ")
        // The source too: --remove-source-files takes from it what the receiver has in place.
        for tree in ["dst", "src"] {
            let differences = TreeComparison.differences(try TreeSnapshot(scratch.path + "/rsync/" + tree),
                try TreeSnapshot(scratch.path + "/swsync/" + tree), labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, "\(tree): \(TreeComparison.report(differences))")
        }
    }

    /// `swsync host:path` lists the peer's files as `rsync host:path` does.
    @Test(arguments: [["-r"], [], ["-rl"]])
    func listsLikeRsync(_ options: [String]) throws {
        let host = try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("remote-list")
        let absolute = scratch.path + "/abs"
        try Fixture.buildOutside(runTemplate: scratch.path, absoluteTarget: absolute)
        try Fixture.buildRichTree(at: scratch.path + "/src", absoluteTarget: absolute)
        let operand = host.remote(scratch.path + "/src/")
        let rsync = try host.runRsync(options + [operand], in: scratch.path, outputPrefix: scratch.path + "/rsync")
        let swsync = try host.runSwsync(options + [operand], transport: .libssh, in: scratch.path,
            outputPrefix: scratch.path + "/swsync")
        try #require(rsync.termination == .exited(0), Comment(rawValue: rsync.stderrText))
        #expect(swsync.termination == .exited(0), Comment(rawValue: swsync.stderrText))
        #expect(swsync.stdoutText == rsync.stdoutText)
        #expect(!swsync.stdoutText.isEmpty)
    }
}
