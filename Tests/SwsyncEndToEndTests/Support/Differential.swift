import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a scenario is prepared. Everything the tools touch is under `template`, which is copied (`cp -a`) once
/// per tool; `absoluteTarget` stays shared so absolute symlinks read the same in both copies.
struct ScenarioContext {
    let caseRoot: String

    var template: String { caseRoot + "/template" }
    var absoluteTarget: String { caseRoot + "/abs-outside" }

    /// `template/<relative>`.
    func path(_ relative: String) -> String { template + "/" + relative }

    /// The rich tree at `template/<name>`, plus the targets of its escaping links.
    func buildRichSource(_ name: String = "src") throws {
        try Fixture.buildOutside(runTemplate: template, absoluteTarget: absoluteTarget)
        try Fixture.buildRichTree(at: path(name), absoluteTarget: absoluteTarget)
    }

    func copy(_ from: String, to: String) throws {
        try copyTree(path(from), to: path(to))
    }
}

/// How to set up the files before a run: a source, maybe a destination, link-dest directories, ...
struct Scenario: Sendable, CustomStringConvertible {
    let name: String
    let prepare: @Sendable (ScenarioContext) throws -> Void

    var description: String { name }
}

/// Which stdout lines to compare.
struct OutputFilter: Sendable {
    /// Lines starting with one of these are dropped.
    var droppedPrefixes: [String] = []
    /// When set, only lines starting with one of these are kept.
    var keptPrefixes: [String]? = nil
    var dropEmptyLines = true
    /// Lines starting with one of these have each digit replaced by `#`: their shape is compared, not
    /// their figures (timings).
    var maskedPrefixes: [String] = []

    /// Drops what differs between any two rsync-like tools by nature: the transfer totals and the banner lines.
    /// "created directory" is kept: it must match.
    static let standard = OutputFilter(droppedPrefixes: [
        "sending incremental file list", "building file list", "sent ", "total size is ",
    ])

    /// Compare every line, including empty ones.
    static let exact = OutputFilter(dropEmptyLines: false)

    /// The `--stats` lines that are the same for any correct local transfer (not byte counts or timings).
    static let stats = OutputFilter(keptPrefixes: [
        "Number of files:", "Number of created files:", "Number of deleted files:",
        "Number of regular files transferred:", "Total file size:", "Total transferred file size:",
        "Literal data:", "Matched data:",
    ])

    /// Every line of the `--stats` block and the listing or itemize lines before it, the timings' shape
    /// only; the byte counts of a local run's absent wire are dropped (Docs/compatibility.md).
    static let statsBlock = OutputFilter(
        droppedPrefixes: standard.droppedPrefixes + ["Total bytes sent:", "Total bytes received:"],
        maskedPrefixes: ["File list generation time:", "File list transfer time:"])

    /// Itemize lines plus the stats lines of `stats`.
    static let itemizeAndStats = OutputFilter(droppedPrefixes: standard.droppedPrefixes + [
        "Number of files", "Total bytes", "File list", "Total transferred", "Number of deleted", "Total file size",
        "Number of regular", "Number of created",
    ])

    func apply(_ output: [UInt8]) -> [String] {
        var lines = output.split(separator: 0x0a, omittingEmptySubsequences: false).map { displayString(Array($0)) }
        if lines.last == "" { lines.removeLast() }
        return lines.filter { line in
            if dropEmptyLines && line.isEmpty { return false }
            if droppedPrefixes.contains(where: { line.hasPrefix($0) }) { return false }
            if let keptPrefixes, !keptPrefixes.contains(where: { line.hasPrefix($0) }) { return false }
            return true
        }.map { line in
            guard maskedPrefixes.contains(where: { line.hasPrefix($0) }) else { return line }
            return String(line.map { $0.isASCII && $0.isNumber ? "#" : $0 })
        }
    }
}

/// What one tool did in one pass, as seen by an oracle check.
struct RunRecord {
    var before: TreeSnapshot
    var after: TreeSnapshot
    var output: ProcessOutput
    var lines: [String]
}

/// A sanity check on rsync's own result, so a mistyped case (wrong path, option rsync rejects) cannot pass
/// vacuously. Returns problems; empty means fine.
struct OracleCheck: Sendable {
    let run: @Sendable (_ first: RunRecord) -> [String]

    static func exit(_ code: Int32) -> OracleCheck {
        OracleCheck { record in
            record.output.termination == .exited(code)
                ? [] : ["rsync ended with \(record.output.termination), the case expects exit \(code)"]
        }
    }

    /// The run changed nothing (dry runs).
    static let unchanged = OracleCheck { record in
        let differences = TreeComparison.differences(record.before, record.after, labels: ("before", "after"))
        return differences.isEmpty ? [] : ["rsync changed the tree:\n" + TreeComparison.report(differences)]
    }

    /// `path` and `other` are hard links to one inode after the run.
    static func linked(_ path: String, _ other: String) -> OracleCheck {
        OracleCheck { record in
            record.after.hardLinkGroups.contains { $0.contains(path) && $0.contains(other) }
                ? [] : ["expected \(path) and \(other) to share an inode after rsync"]
        }
    }

    /// `path` exists (or not) after the run.
    static func exists(_ path: String, _ expected: Bool = true) -> OracleCheck {
        OracleCheck { record in
            (record.after[path] != nil) == expected
                ? [] : ["expected \(path) to \(expected ? "exist" : "be absent") after rsync"]
        }
    }

    /// Some stdout line contains `text`.
    static func printed(_ text: String) -> OracleCheck {
        OracleCheck { record in
            record.lines.contains { $0.contains(text) } ? [] : ["expected rsync's stdout to contain \"\(text)\""]
        }
    }
}

/// One differential test: the same arguments and scenario for rsync and swsync.
///
/// `arguments` are options; `operands` are the source(s) and destination, relative to the run directory (the
/// working directory of both tools). Two placeholders are expanded per tool: `{RUN}` (the run directory's absolute
/// path) and `{XTMP}` (an empty directory on the ordinary temporary file system, for `--temp-dir`).
struct DifferentialCase: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var operands: [String] = ["src/", "dst/"]
    var scenario: Scenario
    var output: OutputFilter = .standard
    /// Run the same command a second time and compare again (usually nothing left to do).
    var rerun = true
    /// rsync's expected exit status (checked on the first pass, to catch mistyped cases).
    var oracleExit: Int32 = 0
    /// A difference from rsync that is known and documented (Docs/compatibility.md); the case still runs
    /// and is reported as a known issue, and turns into a failure once swsync matches rsync here.
    var knownDifference: String?
    var checks: [OracleCheck] = []

    var testDescription: String {
        let command = (arguments + operands).map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }
        return command.joined(separator: " ") + " [\(scenario.name)]"
    }
}

/// Runs rsync and swsync on identical copies of a scenario and records every difference as an issue.
enum DifferentialRunner {
    static let labels = ("rsync", "swsync")

    /// `run`, with a case's documented `knownDifference` recorded as a known issue.
    static func runComparing(_ testCase: DifferentialCase) throws {
        if let reason = testCase.knownDifference, !Tools.binaryUnderTestIsRsync {
            withKnownIssue(Comment(rawValue: reason)) {
                try run(testCase)
            }
        } else {
            try run(testCase)
        }
    }

    static func run(_ testCase: DifferentialCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let rsync = Tools.rsync else {
            Issue.record("reference rsync not found", sourceLocation: sourceLocation)
            return
        }
        guard Tools.swsyncAvailable else {
            Issue.record(Comment(rawValue: Tools.missingBinaryMessage), sourceLocation: sourceLocation)
            return
        }
        let caseDirectory = try TemporaryDirectory(testCase.scenario.name)
        let needsExternalTemp = (testCase.arguments + testCase.operands).contains { $0.contains("{XTMP}") }
        let externalTemp = needsExternalTemp ? try TemporaryDirectory("xtmp", onScratchFileSystem: false) : nil

        let context = ScenarioContext(caseRoot: caseDirectory.path)
        try makeDirectory(context.template)
        try testCase.scenario.prepare(context)
        try Fixture.freezeTimes(context.template)
        try makeDirectory(caseDirectory.path + "/logs")

        struct Tool {
            var label: String
            var executable: String
            var runDirectory: String
            var externalTemp: String
        }
        let tools = [(labels.0, rsync), (labels.1, Tools.swsync)].map { label, executable in
            Tool(
                label: label,
                executable: executable,
                runDirectory: caseDirectory.path + "/" + label,
                externalTemp: (externalTemp?.path ?? caseDirectory.path) + "/" + label
            )
        }
        for tool in tools {
            try copyTree(context.template, to: tool.runDirectory)
            if externalTemp != nil { try makeDirectory(tool.externalTemp) }
        }

        var before = try tools.map { try TreeSnapshot($0.runDirectory) }
        let setUpDifferences = TreeComparison.differences(before[0], before[1], labels: labels)
        guard setUpDifferences.isEmpty else {
            throw HarnessError("the two copies of the scenario differ:\n" + TreeComparison.report(setUpDifferences))
        }

        let header = "case: \(testCase.testDescription)\ndirectory: \(caseDirectory.path)"
        for pass in 1...(testCase.rerun ? 2 : 1) {
            let passName = pass == 1 ? "first run" : "re-run"
            var outputs: [ProcessOutput] = []
            for tool in tools {
                let arguments = (testCase.arguments + testCase.operands).map {
                    $0.replacingOccurrences(of: "{RUN}", with: tool.runDirectory)
                        .replacingOccurrences(of: "{XTMP}", with: tool.externalTemp)
                }
                outputs.append(
                    try Subprocess.run(
                        tool.executable, arguments, in: tool.runDirectory,
                        outputPrefix: "\(caseDirectory.path)/logs/\(tool.label).\(pass)"))
            }
            let after = try tools.map { try TreeSnapshot($0.runDirectory) }
            let lines = outputs.map { testCase.output.apply($0.stdout) }
            let stderrContext = zip(tools, outputs).map { tool, output in
                "\(tool.label) stderr:\n" + indent(output.stderrText.isEmpty ? "(empty)" : output.stderrText)
            }.joined(separator: "\n")

            if pass == 1 {
                let record = RunRecord(before: before[0], after: after[0], output: outputs[0], lines: lines[0])
                var problems: [String] = []
                if outputs[0].termination != .exited(testCase.oracleExit) {
                    problems.append(
                        "rsync ended with \(outputs[0].termination), the case expects exit \(testCase.oracleExit)")
                }
                problems += testCase.checks.flatMap { $0.run(record) }
                if !problems.isEmpty {
                    Issue.record(
                        Comment(rawValue: "HARNESS: the case does not do what it means to on rsync itself:\n"
                            + problems.joined(separator: "\n") + "\n\(header)\n\(stderrContext)"),
                        sourceLocation: sourceLocation)
                }
            }

            if outputs[0].termination != outputs[1].termination {
                Issue.record(
                    Comment(rawValue: "[\(passName)] exit status differs: rsync \(outputs[0].termination), "
                        + "swsync \(outputs[1].termination)\n\(header)\n\(stderrContext)"),
                    sourceLocation: sourceLocation)
            }
            if let problem = OutputComparison.problem(rsync: lines[0], swsync: lines[1]) {
                Issue.record(
                    Comment(rawValue: "[\(passName)] stdout differs: \(problem) (- rsync, + swsync):\n"
                        + lineDiff(lines[0], lines[1]) + "\n\(header)\n\(stderrContext)"),
                    sourceLocation: sourceLocation)
            }
            let treeDifferences = TreeComparison.differences(after[0], after[1], labels: labels)
            if !treeDifferences.isEmpty {
                Issue.record(
                    Comment(rawValue: "[\(passName)] resulting trees differ:\n"
                        + TreeComparison.report(treeDifferences) + "\n\(header)\n\(stderrContext)"),
                    sourceLocation: sourceLocation)
            }
            // Which entries each tool left in place; only meaningful where both trees agree on the entry
            // (other differences are reported above).
            let agreeing = { (path: String) in after[0][path] == after[1][path] }
            let keptDifferences = TreeComparison.keptInodeDifferences(
                keptA: before[0].keptInodes(after: after[0]).filter(agreeing),
                keptB: before[1].keptInodes(after: after[1]).filter(agreeing),
                labels: labels
            )
            if !keptDifferences.isEmpty {
                Issue.record(
                    Comment(rawValue: "[\(passName)] different entries were rewritten (inode replaced):\n"
                        + TreeComparison.report(keptDifferences) + "\n\(header)"),
                    sourceLocation: sourceLocation)
            }
            if externalTemp != nil {
                let leftovers = tools.map { (try? directoryEntries($0.externalTemp)) ?? [] }
                if leftovers[0] != leftovers[1] {
                    Issue.record(
                        Comment(rawValue: "[\(passName)] temp-dir contents differ: rsync \(leftovers[0]), "
                            + "swsync \(leftovers[1])\n\(header)"),
                        sourceLocation: sourceLocation)
                }
            }
            before = after
        }
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    }

    /// A line diff (longest common subsequence), showing at most `limit` changed lines with a little context.
    static func lineDiff(_ a: [String], _ b: [String], limit: Int = 20) -> String {
        let n = a.count
        let m = b.count
        guard n * m <= 4_000_000 else {
            let onlyA = a.filter { !Set(b).contains($0) }.prefix(limit).map { "  - " + $0 }
            let onlyB = b.filter { !Set(a).contains($0) }.prefix(limit).map { "  + " + $0 }
            return (["  (too long for an ordered diff; set difference)"] + onlyA + onlyB).joined(separator: "\n")
        }
        var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var result: [String] = []
        var changes = 0
        var i = 0
        var j = 0
        while (i < n || j < m) && changes < limit {
            if i < n && j < m && a[i] == b[j] {
                result.append("    " + a[i])
                i += 1
                j += 1
            } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
                result.append("  + " + b[j])
                j += 1
                changes += 1
            } else {
                result.append("  - " + a[i])
                i += 1
                changes += 1
            }
        }
        if i < n || j < m { result.append("  … (\(n - i) rsync and \(m - j) swsync lines not shown)") }
        // Trim long runs of unchanged context down to two lines around each change.
        var trimmed: [String] = []
        for (index, line) in result.enumerated() {
            if line.hasPrefix("    ") {
                let window = result[max(0, index - 2)...min(result.count - 1, index + 2)]
                let near = window.contains { !$0.hasPrefix("    ") }
                if !near {
                    if trimmed.last != "    …" { trimmed.append("    …") }
                    continue
                }
            }
            trimmed.append(line)
        }
        return trimmed.joined(separator: "\n")
    }
}

/// Compares stdout line lists the way rsync's own output allows.
///
/// A local rsync prints from three processes: the sender ("skipping non-regular file" while it builds the file
/// list), the generator (directories, symlinks, attribute-only changes, deletions) and the receiver (files whose
/// data it wrote); their lines interleave differently from run to run (try `rsync -ri --delete` on a stale tree a
/// few times; even deletions move relative to other generator lines). So the lines must be equal as a multiset,
/// and, when every line is classifiable (itemize output), equal in order within each stream: sender notes,
/// deletions, transfers (`>`/`<`), and the rest.
enum OutputComparison {
    static func problem(rsync a: [String], swsync b: [String]) -> String? {
        if a == b { return nil }
        if a.sorted() != b.sorted() { return "different lines" }
        guard a.allSatisfy(isClassifiable) else { return nil }
        for stream in ["sender", "deletions", "transfers", "generator"] {
            if a.filter({ self.stream(of: $0) == stream }) != b.filter({ self.stream(of: $0) == stream }) {
                return "same lines, but the \(stream) lines are in another order"
            }
        }
        return nil
    }

    static func stream(of line: String) -> String {
        if line.hasPrefix("skipping ") { return "sender" }
        if line.hasPrefix("*deleting ") || line.hasPrefix("deleting ") { return "deletions" }
        if line.hasPrefix(">") || line.hasPrefix("<") { return "transfers" }
        return "generator"
    }

    /// An itemize line (`YXcstpoguax name`), a deletion, or one of the generator's notes.
    static func isClassifiable(_ line: String) -> Bool {
        if line.hasPrefix("*deleting ") || line.hasPrefix("deleting ") || line.hasPrefix("skipping ")
            || line.hasPrefix("created directory ")
        {
            return true
        }
        let characters = Array(line.prefix(12))
        return characters.count == 12 && characters[11] == " " && "<>ch.*".contains(characters[0])
            && "fdLDSU".contains(characters[1])
    }
}
