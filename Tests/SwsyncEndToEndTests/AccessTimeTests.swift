import Glibc
import Testing

/// `-U/--atimes` against rsync: the itemize `u` column and the destination's access times, local, pushed
/// and pulled. `-UU` (rsync's `--open-noatime` too) keeps rsync's own reads from moving the sources' atimes,
/// which swsync never moves where O_NOATIME is allowed; the single `-U` cases use atimes newer than the
/// mtimes and less than a day old, which a relatime read leaves alone.
@Suite("-U/--atimes", .serialized)
struct AccessTimeTests {
    enum Mode: String, CaseIterable, Sendable { case local, push, pull }

    struct Case: Sendable, CustomTestStringConvertible {
        var options: [String]
        var mode: Mode
        var testDescription: String { "\(options.joined(separator: " ")) (\(mode.rawValue))" }
    }

    static let optionSets: [[String]] = [
        ["-aiUU"], ["-aiU"], ["-aiUU", "-n"], ["-rlpiUU"], ["-aiUU", "-J"], ["-aiUU", "--inplace"],
    ]
    static let cases = optionSets.flatMap { options in Mode.allCases.map { Case(options: options, mode: $0) } }

    static let recent = Int(time(nil)) - 3_600

    /// Sets the access time alone (the modification time is kept), not following a symlink.
    static func setAccessTime(_ path: String, seconds: Int) throws {
        let omit = (1 << 30) - 2  // UTIME_OMIT, which Swift does not import
        var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: omit)]
        guard utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw HarnessError("utimensat \(path): errno \(errno)")
        }
    }

    /// A source tree, and a destination with the same file whose atime differs, one whose data differs,
    /// and one whose atime already agrees.
    static func build(_ root: String) throws {
        for directory in ["src", "src/d", "dst", "dst/d"] { try makeDirectory(root + "/" + directory) }
        for (name, bytes) in [("same", "same\n"), ("agrees", "agrees\n"), ("changed", "new data\n"), ("d/new", "n\n")] {
            try writeFile(root + "/src/" + name, Array(bytes.utf8))
            try setModificationTime(root + "/src/" + name, seconds: 1_500_000_000)
        }
        try makeSymlink(root + "/src/link", to: "same")
        try writeFile(root + "/dst/same", Array("same\n".utf8))
        try writeFile(root + "/dst/agrees", Array("agrees\n".utf8))
        try writeFile(root + "/dst/changed", Array("old data\n".utf8))
        for name in ["same", "agrees", "changed"] { try setModificationTime(root + "/dst/" + name, seconds: 1_500_000_000) }
        try setModificationTime(root + "/src/link", seconds: 1_500_000_000)
        try setAccessTime(root + "/src/same", seconds: recent - 100)
        try setAccessTime(root + "/src/agrees", seconds: recent - 200)
        try setAccessTime(root + "/dst/agrees", seconds: recent - 200)
        try setAccessTime(root + "/src/changed", seconds: recent - 300)
        try setAccessTime(root + "/src/d/new", seconds: recent - 400)
        try setAccessTime(root + "/src/link", seconds: recent - 500)
        try setAccessTime(root + "/dst/same", seconds: recent - 600)
        try setAccessTime(root + "/dst/changed", seconds: recent - 700)
        for directory in ["src/d", "src", "dst/d", "dst"] {
            try setModificationTime(root + "/" + directory, seconds: 1_400_000_000)
        }
    }

    /// The access times of every non-directory below `root`, by path.
    static func accessTimes(_ root: String) -> [String: Int] {
        var result: [String: Int] = [:]
        for name in ["same", "agrees", "changed", "d/new", "link"] {
            if let st = fileStatus(root + "/" + name) { result[name] = st.st_atim.tv_sec }
        }
        return result
    }

    /// `tool` ("rsync" or "swsync") in `directory`, through the test sshd when there is a `host`.
    static func run(_ tool: String, _ arguments: [String], host: RemoteHost?, in directory: String, capture: String)
        throws -> ProcessOutput
    {
        if let host {
            return tool == "rsync" ? try host.runRsync(arguments, in: directory, outputPrefix: capture)
                : try host.runSwsync(arguments, transport: .libssh, in: directory, outputPrefix: capture)
        }
        return try Subprocess.run(tool == "rsync" ? Tools.rsync! : Tools.swsync, arguments, in: directory,
            outputPrefix: capture)
    }

    @Test(arguments: cases)
    func matchesRsync(_ testCase: Case) throws {
        let host = testCase.mode == .local ? nil : try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("atimes")
        var lines: [String: [String]] = [:]
        var atimes: [String: [String: Int]] = [:]
        for tool in ["rsync", "swsync"] {
            let run = scratch.path + "/" + tool
            try makeDirectory(run)
            try Self.build(run)
            let source = run + "/src/", destination = run + "/dst/"
            let operands: [String]
            switch testCase.mode {
            case .local: operands = [source, destination]
            case .push: operands = [source, host!.remote(destination)]
            case .pull: operands = [host!.remote(source), destination]
            }
            let arguments = testCase.options + operands
            let capture = scratch.path + "/" + tool + "-out"
            let output = try Self.run(tool, arguments, host: host, in: run, capture: capture)
            try #require(output.termination == .exited(0),
                Comment(rawValue: "\(tool) ended with \(output.termination): \(output.stderrText)"))
            lines[tool] = output.stdoutText.split(separator: "\n").map(String.init).sorted()
            atimes[tool] = Self.accessTimes(destination)
            // Under -J a new symlink keeps the atime of its making, a matter of which second each tool ran in.
            if testCase.options.contains("-J") { atimes[tool]!["link"] = nil }
        }
        #expect(lines["swsync"] == lines["rsync"], "itemize lines differ")
        #expect(atimes["swsync"] == atimes["rsync"], "destination atimes differ")
        if testCase.options == ["-aiUU"] && testCase.mode == .local {
            // The case means what it says: rsync reported and set the atimes.
            #expect(lines["rsync"]!.contains(".f......u.. same"))
            #expect(atimes["rsync"]!["same"] == Self.recent - 100)
        }
    }

    /// A reference file that differs from the source in its access time alone is a match, as rsync's
    /// `unchanged_attrs` has it: `--link-dest` links it and gives the shared inode the source's atime,
    /// `--copy-dest` copies it, `--compare-dest` leaves it out; `-ii` shows the `u` each time.
    @Test(arguments: ["--link-dest=../dst", "--copy-dest=../dst", "--compare-dest=../dst"])
    func referenceMatchIgnoresAccessTime(_ reference: String) throws {
        let scratch = try TemporaryDirectory("atimes-reference")
        var lines: [String: [String]] = [:]
        var atimes: [String: [String: Int]] = [:]
        for tool in ["rsync", "swsync"] {
            let run = scratch.path + "/" + tool
            try makeDirectory(run)
            try Self.build(run)
            let output = try Subprocess.run(tool == "rsync" ? Tools.rsync! : Tools.swsync,
                ["-aiiUU", reference, "src/", "new/"], in: run, outputPrefix: scratch.path + "/" + tool + "-out")
            try #require(output.termination == .exited(0), "\(tool): \(output.stderrText)")
            lines[tool] = output.stdoutText.split(separator: "\n").map(String.init).sorted()
            atimes[tool] = Self.accessTimes(run + "/new").merging(
                Self.accessTimes(run + "/dst").map { ("dst/" + $0.key, $0.value) }) { a, _ in a }
            // rsync reads copy-dest files without O_NOATIME, which moves their atimes; swsync leaves them.
            if reference.hasPrefix("--copy-dest") { atimes[tool] = atimes[tool]!.filter { !$0.key.hasPrefix("dst/") } }
        }
        #expect(lines["swsync"] == lines["rsync"], "itemize lines differ")
        #expect(atimes["swsync"] == atimes["rsync"], "atimes differ")
        #expect(lines["rsync"]!.contains { $0.hasSuffix("......u.. same") }, "rsync matched no reference file")
    }

    /// `--list-only -U` has rsync's access-time column (blank for directories), locally and from a peer.
    @Test(arguments: [Mode.local, Mode.pull])
    func listOnlyShowsAccessTimes(_ mode: Mode) throws {
        let host = mode == .local ? nil : try RemoteHost.sharedHost()
        let scratch = try TemporaryDirectory("atimes-list")
        var listings: [String: String] = [:]
        for tool in ["rsync", "swsync"] {
            // A tree each: reading a symlink moves its atime, so the second tool would list the first one's read.
            let run = scratch.path + "/" + tool
            try makeDirectory(run)
            try Self.build(run)
            let source = host?.remote(run + "/src/") ?? "src/"
            let arguments = ["-rlU", "--list-only", source]
            let capture = scratch.path + "/" + tool + "-out"
            let output = try Self.run(tool, arguments, host: host, in: run, capture: capture)
            try #require(output.termination == .exited(0), "\(tool): \(output.stderrText)")
            listings[tool] = output.stdoutText
        }
        #expect(listings["swsync"] == listings["rsync"])
        // rsync's column is there: the atime of `same`, as local time.
        var seconds = time_t(Self.recent - 100)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let length = strftime(&text, text.count, "%Y/%m/%d %H:%M:%S", &parts)
        let stamp = String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(listings["rsync"]!.contains(stamp + " same"), "\(listings["rsync"]!)")
    }

    /// `--super` and `--no-super` change what the receiver attempts (here as root: `-o` without the
    /// super-user's chown under `--no-super`).
    @Test(.enabled(if: isRoot, "run as root"),
        arguments: [["-aiO", "--no-super"], ["-aiO", "--super"], ["-aiO", "--no-super", "--super"]])
    func superMatchesRsync(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("super")
        var lines: [String: [String]] = [:]
        var owners: [String: [UInt32]] = [:]
        for tool in ["rsync", "swsync"] {
            let run = scratch.path + "/" + tool
            for directory in ["", "/src", "/dst"] { try makeDirectory(run + directory) }
            try writeFile(run + "/src/f", Array("x\n".utf8))
            try writeFile(run + "/dst/f", Array("x\n".utf8))
            try setModificationTime(run + "/src/f", seconds: 1_500_000_000)
            try setModificationTime(run + "/dst/f", seconds: 1_500_000_000)
            try changeOwner(run + "/src/f", uid: 65534, gid: 65534)
            let output = try Subprocess.run(tool == "rsync" ? Tools.rsync! : Tools.swsync,
                options + [run + "/src/", run + "/dst/"], in: run, outputPrefix: scratch.path + "/" + tool + "-out")
            try #require(output.termination == .exited(0), Comment(rawValue: output.stderrText))
            lines[tool] = output.stdoutText.split(separator: "\n").map(String.init).sorted()
            owners[tool] = fileStatus(run + "/dst/f").map { [$0.st_uid, $0.st_gid] }
        }
        #expect(lines["swsync"] == lines["rsync"])
        #expect(owners["swsync"] == owners["rsync"])
    }
}
