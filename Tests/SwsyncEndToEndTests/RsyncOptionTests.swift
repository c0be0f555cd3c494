import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// rsync options of issue 13, each run through rsync and swsync on the same fixture: trees, `-i` lines
/// and exit codes compared.
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct RsyncOptionTests {
    // MARK: -m / --prune-empty-dirs

    @Test(arguments: [
        ["-ri", "-m"], ["-ri", "-m", "--delete"], ["-ri", "-m", "--exclude=*.o"], ["-ri", "-m", "--delete", "--exclude=*.o"],
        ["-ri", "-m", "--filter=protect g/"], ["-ri", "-m", "--filter=protect g/", "--delete"], ["-ri", "-m", "-n", "--delete"],
        ["-ri", "-m", "-l"], ["-dim"], ["-ri", "--prune-empty-dirs", "--no-m"],
    ])
    func pruneEmptyDirs(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .prunable, output: .withoutSkipLines))
    }

    /// A source directory whose whole tree is empty directories is pruned too; only "." stays.
    @Test func pruneEmptyDirsDropsANamedEmptyTree() throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ri", "-m"], operands: ["src/a", "dst/"],
            scenario: .prunable, output: .withoutSkipLines))
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ri", "-m"], operands: ["src/j", "dst/"],
            scenario: .prunable, output: .withoutSkipLines))
    }

    // MARK: --remove-source-files

    /// The source keeps what was not received (skipped, newer in the destination, a dry run, an
    /// unsupported kind) and loses every other non-directory (the whole run directory is compared);
    /// the "sender removed" lines come from rsync's sender process at its own pace, so only their set
    /// is compared. `-H` without `-i`: the leader rsync itemizes differs (Docs/compatibility.md).
    @Test(arguments: [
        ["-a", "-i"], ["-a", "-vv"], ["-r", "-i"], ["-a", "-u", "-i"], ["-a", "-n", "-i"], ["-aH"],
        ["-a", "--ignore-existing", "-i"], ["-a", "-i", "--info=remove"], ["-a", "-i", "--delete"],
        ["-a", "-i", "--link-dest=../prev"], ["-a", "-i", "-c"],
    ])
    func removeSourceFiles(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options + ["--remove-source-files"], scenario: .removable,
            rerun: false, checks: [.exists("src/sub/deep")]))
    }

    /// A run into its own source keeps every entry, each one being the destination itself (exit 23, as
    /// rsync; rsync 3.5.0 removes the symlinks, Docs/compatibility.md).
    @Test func removeSourceFilesNeverRemovesTheDestinationItself() throws {
        let scratch = try TemporaryDirectory("remove-self")
        try makeDirectories(scratch.path + "/src/sub")
        for name in ["a", "sub/b"] { try writeFile(scratch.path + "/src/" + name, Array(name.utf8)) }
        try makeSymlink(scratch.path + "/src/link", to: "a")
        let before = try TreeSnapshot(scratch.path + "/src")
        let output = try Subprocess(executable: Tools.swsync, arguments: ["-a", "--remove-source-files", "src/", "src/"],
            directory: scratch.path, outputPrefix: scratch.path + "/out").wait()
        #expect(output.termination == .exited(23), Comment(rawValue: output.stderrText))
        for name in ["a", "link", "sub/b"] {
            #expect(output.stderrText.contains("ERROR: Skipping sender remove of destination file: \(name)\n"))
        }
        let differences = TreeComparison.differences(before, try TreeSnapshot(scratch.path + "/src"), labels: ("before", "after"))
        #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
    }

    /// A file that changes while it is sent stays in the source (rsync 3.1's rule), and the run ends
    /// with 23.
    @Test func removeSourceFilesKeepsAFileChangedWhileSent() throws {
        let scratch = try TemporaryDirectory("remove-changed")
        for tool in [Tools.swsync, Tools.rsync!] {
            let root = scratch.path + "/" + (tool == Tools.swsync ? "swsync" : "rsync")
            try makeDirectories(root + "/src")
            try writeFile(root + "/src/big", Fixture.content("big", size: 8_000_000))
            let run = try Subprocess(executable: tool, arguments: ["-a", "--bwlimit=4000", "--remove-source-files",
                "src/", "dst/"], directory: root, outputPrefix: root + "/out")
            for _ in 0..<400 where ((try? directoryEntries(root + "/dst")) ?? []).isEmpty { usleep(25_000) }
            let appended = open(root + "/src/big", O_WRONLY | O_APPEND)
            #expect(appended >= 0)
            _ = write(appended, "more", 4)
            close(appended)
            let output = run.wait(timeout: 60)
            #expect(output.termination == .exited(23), "\(root): \(output.stderrText)")
            #expect(output.stderrText.contains("ERROR: Skipping sender remove for changed file: big"), "\(output.stderrText)")
            #expect(exists(root + "/src/big"))
        }
    }

    // MARK: --delay-updates, and the partial directory's implicit rule

    @Test(arguments: [["-ai"], ["-ai", "-b"], ["-ai", "--partial-dir=.pp"], ["-ai", "--delete"], ["-aiH"],
        ["-ai", "--no-whole-file"], ["-ain"], ["-ai", "--remove-source-files"], ["-ai", "-b", "--backup-dir=../bak"]])
    func delayUpdates(_ options: [String]) throws {
        for scenario in [Scenario.fresh, .stale] {
            try DifferentialRunner.run(DifferentialCase(arguments: options + ["--delay-updates"], scenario: scenario))
        }
    }

    @Test func delayUpdatesRefusesInplaceAndAppendAsRsync() throws {
        for option in ["--inplace", "--append"] {
            try DifferentialRunner.run(DifferentialCase(arguments: ["-a", "--delay-updates", option], scenario: .stale,
                rerun: false, oracleExit: 1))
        }
    }

    /// A relative `--partial-dir` is never sent and never deleted, except with the directory around
    /// it (rsync's implicit perishable rule).
    @Test(arguments: [["-ai", "--delete", "--partial-dir=.p"], ["-ai", "--delete", "--delay-updates"],
        ["-ai", "--delete", "--partial-dir=.p/", "--delete-excluded"]])
    func partialDirectoryIsNeitherSentNorDeleted(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .partialDirectories))
    }

    /// While a `--delay-updates` run writes, no destination file changes; all of them change at the end.
    @Test func delayUpdatesChangesNothingUntilTheEnd() throws {
        let scratch = try TemporaryDirectory("delay-updates")
        let root = scratch.path
        try makeDirectories(root + "/src/sub")
        try makeDirectories(root + "/dst/sub")
        let names = ["one", "sub/two", "three"]
        for name in names {
            try writeFile(root + "/src/" + name, Fixture.content(name, size: 2_000_000))
            try writeFile(root + "/dst/" + name, Array("old".utf8))
        }
        let run = try Subprocess(executable: Tools.swsync, arguments: ["-a", "--delay-updates", "--bwlimit=2000",
            "src/", "dst/"], directory: root, outputPrefix: root + "/out")
        func waiting(_ name: String) -> String {
            root + "/dst/" + (name.contains("/") ? "sub/.~tmp~/" : ".~tmp~/") + name.split(separator: "/").last!
        }
        // Once any destination file has changed, every other one has changed or waits, whole, in .~tmp~.
        var sawWaiting = false
        while run.poll() == nil {
            // Waiting first: a file renamed between the two looks is then seen waiting or changed.
            let waitingNow = names.filter { exists(waiting($0)) }
            let changed = try names.filter { try readAllBytes(root + "/dst/" + $0) != Array("old".utf8) }
            sawWaiting = sawWaiting || !waitingNow.isEmpty
            if !changed.isEmpty {
                for name in names where !changed.contains(name) {
                    #expect(waitingNow.contains(name), "\(changed) changed before \(name) was written")
                }
            }
            usleep(20_000)
        }
        let output = run.wait()
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        #expect(sawWaiting, "no file was seen waiting in .~tmp~")
        for name in names {
            #expect(try readAllBytes(root + "/dst/" + name) == readAllBytes(root + "/src/" + name), "\(name)")
        }
        #expect(!exists(root + "/dst/.~tmp~") && !exists(root + "/dst/sub/.~tmp~"))
    }

    /// `--old-args` (or `RSYNC_OLD_ARGS=1`): a pull's remote names are split at spaces by the remote shell,
    /// so "one two" is two files; without it, one name. The same exit codes and trees as rsync's.
    struct OldArgsCase: Sendable, CustomTestStringConvertible {
        var options: [String]
        var environment: [String] = []
        var testDescription: String { (environment + options).joined(separator: " ") }
    }

    @Test(arguments: [OldArgsCase(options: ["--old-args"]), OldArgsCase(options: [], environment: ["RSYNC_OLD_ARGS=1"]),
        OldArgsCase(options: []), OldArgsCase(options: ["--no-old-args"], environment: ["RSYNC_OLD_ARGS=1"]),
        OldArgsCase(options: ["-s"], environment: ["RSYNC_OLD_ARGS=1"])])
    func oldArgsSplitARemoteName(_ testCase: OldArgsCase) throws {
        let (options, environment) = (testCase.options, testCase.environment)
        let scratch = try TemporaryDirectory("old-args")
        let root = scratch.path
        try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)
        try makeDirectories(root + "/src")
        for name in ["one", "two"] { try writeFile(root + "/src/" + name, Array(name.utf8)) }
        var results: [(Termination, [String])] = []
        for tool in [("rsync", Tools.rsync!, "rsync"), ("swsync", Tools.swsync, RemoteHost.absoluteSwsync)] {
            let arguments = ["-r"] + options + ["-e", root + "/rsh.sh", "--rsync-path=\(tool.2)", "host:one two",
                root + "/dst-\(tool.0)/"]
            let output = try Subprocess(executable: tool.1, arguments: arguments, directory: root + "/src",
                outputPrefix: root + "/" + tool.0, environment: Subprocess.childEnvironment + environment).wait()
            results.append((output.termination, (try? directoryEntries(root + "/dst-\(tool.0)").sorted()) ?? []))
        }
        #expect(results[0].0 == results[1].0)
        #expect(results[0].1 == results[1].1)
        if options.contains("--old-args") { #expect(results[0].1 == ["one", "two"], "rsync split the name") }
    }

    /// `--files-from` with `--no-implied-dirs` over a destination symlink where the source has a directory:
    /// the entries below it are refused as rsync's resolver refuses them (ELOOP), the link left as it is.
    @Test func filesFromBelowADestinationSymlink() throws {
        try Self.expectSameAsRsync("files-from-link", ["-a", "--no-implied-dirs", "--files-from=list", "src/", "dst/"],
            ordered: true, exit: 23) { root in
            try makeDirectories(root + "/src/d")
            try writeFile(root + "/src/d/f", Array("f".utf8))
            try writeFile(root + "/list", Array("d/f\n".utf8))
            try makeDirectories(root + "/other")
            try makeDirectories(root + "/dst")
            try makeSymlink(root + "/dst/d", to: "../other")
            for path in ["/src/d/f", "/src/d", "/src"] { try setModificationTime(root + path, seconds: 1_500_000_000) }
        }
    }

    /// `--list-only -m` leaves out the directories with no file below them, as rsync prunes its list; `--stats`
    /// still counts them, as rsync's sender does.
    @Test(arguments: [["-r", "--list-only", "-m"], ["-r", "--list-only", "-m", "--stats"]])
    func listOnlyPrunesEmptyDirectories(_ options: [String]) throws {
        try Self.expectSameAsRsync("list-only-prune", options + ["src/"], ordered: true,
            droppedPrefixes: ["File list generation time", "File list transfer time", "Total bytes", "File list size"]) { root in
            for directory in ["/src/full/deep", "/src/empty/deeper", "/src/bare"] { try makeDirectories(root + directory) }
            try writeFile(root + "/src/full/deep/f", Array("f".utf8))
            try writeFile(root + "/src/top", Array("t".utf8))
            for path in ["/src/full/deep/f", "/src/top", "/src/full/deep", "/src/full", "/src/empty/deeper", "/src/empty",
                "/src/bare", "/src"]
            {
                try setModificationTime(root + path, seconds: 1_500_000_000)
            }
        }
    }

    /// `-m` with per-directory rules: a directory whose files the root's `.rsync-filter` excludes is empty
    /// and pruned, in a transfer and in a listing, as rsync's whole list has it.
    @Test(arguments: [["-ri", "-F", "-m"], ["-r", "-F", "-m", "--list-only"], ["-ri", "-F", "-m", "--delete"]])
    func pruningSeesTheRootsPerDirectoryRules(_ options: [String]) throws {
        let operands = options.contains("--list-only") ? ["src/"] : ["src/", "dst/"]
        try Self.expectSameAsRsync("prune-rules", options + operands, ordered: true) { root in
            for directory in ["/src/onlytmp/deeper", "/src/keep", "/dst/onlytmp"] { try makeDirectories(root + directory) }
            try writeFile(root + "/src/.rsync-filter", Array("- *.tmp\n".utf8))
            for path in ["/src/onlytmp/a.tmp", "/src/onlytmp/deeper/b.tmp", "/src/keep/c", "/dst/onlytmp/old"] {
                try writeFile(root + path, Array("x".utf8))
            }
            for path in ["/src/.rsync-filter", "/src/onlytmp/a.tmp", "/src/onlytmp/deeper/b.tmp", "/src/keep/c",
                "/src/onlytmp/deeper", "/src/onlytmp", "/src/keep", "/src"]
            {
                try setModificationTime(root + path, seconds: 1_500_000_000)
            }
        }
    }

    /// A `--files-from` list naming what is not there: one `link_stat` line for each listed name, in the list's
    /// order (a name listed twice is reported twice, a missing parent does not stand for its children), and
    /// `change_dir` where the part before a `/./` cannot be entered, as rsync's sender takes each name.
    @Test(arguments: [["-r"], ["-ri", "--delete"], ["-rL"], ["-ri", "--ignore-missing-args"], ["-ri", "--no-implied-dirs"]])
    func missingFilesFromNamesInListOrder(_ options: [String]) throws {
        try Self.expectSameAsRsync("files-from-missing", options + ["--files-from=list", "src/", "dst/"], ordered: true,
            exit: 23) { root in
            try makeDirectories(root + "/src/present")
            try writeFile(root + "/src/present/a", Array("a".utf8))
            try writeFile(root + "/src/file", Array("f".utf8))
            try writeFile(root + "/list", Array("""
                zz
                missing/x
                aa
                missing
                zz
                file/x
                missing/./y
                missing/sub/z
                present/a

                """.utf8))
        }
    }

    /// `--files-from` lists skip `#` and `;` lines as comments, NUL-separated ones (`--from0`) too, as rsync 3.5.
    @Test(arguments: [["--from0", "--files-from=list0"], ["--files-from=list"]])
    func filesFromCommentsAreSkipped(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("files-from-comments")
        var trees: [TreeSnapshot] = []
        for tool in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + tool.0
            try makeDirectories(root + "/src")
            for name in ["a", "#hash", ";semi", "b"] { try writeFile(root + "/src/" + name, Array(name.utf8)) }
            try writeFile(root + "/list0", Array("a\0#hash\0;semi\0b\0".utf8))
            try writeFile(root + "/list", Array("a\n#hash\n;semi\nb\n".utf8))
            let output = try Subprocess(executable: tool.1, arguments: ["-r"] + options + ["src/", "dst/"],
                directory: root, outputPrefix: root + "/out").wait()
            #expect(output.termination == .exited(0), "\(tool.0): \(output.stderrText)")
            trees.append(try TreeSnapshot(root + "/dst"))
        }
        #expect(trees[0].entries.keys.sorted() == [".", "a", "b"], "rsync skipped the comments")
        #expect(trees[1].entries.keys.sorted() == trees[0].entries.keys.sorted())
    }

    /// `-R ./a/b`: "." is the path's first element, an implied directory: made, given its attributes (the
    /// destination root gets the source directory's time), never a directory to delete in; not sent with
    /// --no-implied-dirs; `././a` and `a` have no such element. Lines, trees and exit codes as rsync's.
    @Test(arguments: [["-aiR", "./down/3"], ["-aiR", "--delete", "./down/3"], ["-aiR", "--delete", "./down/3/"],
        ["-aiR", "--no-implied-dirs", "./down/3"], ["-aiR", "././down/3"], ["-aiR", "down/3", "./top"],
        ["-aiR", "--delete", "./down/", "./top"], ["-aiR", "--delete-before", "./down/", "./top"]])
    func leadingDotIsAnImpliedDirectory(_ arguments: [String]) throws {
        let scratch = try TemporaryDirectory("leading-dot")
        var results: [(Termination, [String], TreeSnapshot)] = []
        for tool in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + tool.0
            try makeDirectories(root + "/src/down/3")
            try writeFile(root + "/src/down/3/f", Array("f".utf8))
            try writeFile(root + "/src/top", Array("top".utf8))
            try makeDirectories(root + "/dst/keep")
            try writeFile(root + "/dst/keep/x", Array("x".utf8))
            try makeDirectories(root + "/dst/down/3")
            try writeFile(root + "/dst/down/3/extra", Array("extra".utf8))
            try Fixture.freezeTimes(root + "/src")
            try Fixture.freezeTimes(root + "/dst")
            try setModificationTime(root + "/src", seconds: 1_000_000_000)
            let output = try Subprocess(executable: tool.1, arguments: arguments + [root + "/dst/"],
                directory: root + "/src", outputPrefix: root + "/out").wait()
            results.append((output.termination, output.stdoutText.split(separator: "\n").map(String.init),
                try TreeSnapshot(root + "/dst")))
        }
        #expect(results[0].0 == results[1].0)
        // rsync's root line and the deletions below it come in either order from run to run.
        let problem = OutputComparison.problem(rsync: results[0].1, swsync: results[1].1)
        #expect(problem == nil, "\(problem ?? ""): rsync \(results[0].1), swsync \(results[1].1)")
        let differences = TreeComparison.differences(results[0].2, results[1].2, labels: ("rsync", "swsync"))
        #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
    }

    // MARK: --old-dirs, --munge-links, -M

    @Test(arguments: [["-ai", "--safe-links"], ["-ai", "--safe-links", "--delete"], ["-ri", "--safe-links", "-l", "--delete"]])
    func dottedSymlinkSafety(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .dottedLinks))
    }

    @Test(arguments: [["-ai", "--old-dirs"], ["-ai", "--old-d", "--delete"], ["-ai", "--munge-links"], ["-ai", "-l", "--munge-links"]])
    func linkAndDirectoryOptions(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .mungeable))
    }

    /// Each end munges on its own option: a pull's receiving client munges, a server only with `-M`; a
    /// sender takes the prefix off what an earlier run munged.
    @Test func mungeLinksActsOnTheEndItIsGivenTo() throws {
        let scratch = try TemporaryDirectory("munge")
        let root = scratch.path
        try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)
        try makeDirectories(root + "/src")
        try makeSymlink(root + "/src/rel", to: "../x")
        try makeSymlink(root + "/src/munged", to: "/rsyncd-munged/abs")
        let remote = ["-e", root + "/rsh.sh", "--rsync-path=\(RemoteHost.absoluteSwsync)"]
        let runs: [(String, [String], [String: String])] = [
            ("pull", ["-a", "--munge-links"] + remote + ["host:" + root + "/src/", "pull/"],
                ["rel": "/rsyncd-munged/../x", "munged": "/rsyncd-munged//rsyncd-munged/abs"]),
            ("push-M", ["-a", "-M--munge-links"] + remote + ["src/", "host:" + root + "/push-M/"],
                ["rel": "/rsyncd-munged/../x", "munged": "/rsyncd-munged//rsyncd-munged/abs"]),
            ("push", ["-a", "--munge-links"] + remote + ["src/", "host:" + root + "/push/"],
                ["rel": "../x", "munged": "abs"]),
        ]
        for (label, arguments, expected) in runs {
            let output = try Subprocess(executable: Tools.swsync, arguments: arguments, directory: root,
                outputPrefix: root + "/" + label).wait()
            #expect(output.termination == .exited(0), "\(label): \(output.stderrText)")
            for (name, target) in expected {
                #expect(try TreeSnapshot.readLink(Array((root + "/" + label + "/" + name).utf8)) == target, "\(label)/\(name)")
            }
        }
    }

    /// `--inplace -S` over a file whose new version has a long zero run: the run is punched out of the
    /// old file, as rsync 3.5 punches it (whole-file and delta updates alike).
    @Test(arguments: [["--no-whole-file"], ["--whole-file"]])
    func inplaceSparsePunchesZeroRuns(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("inplace-sparse")
        for tool in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + tool.0
            try makeDirectories(root + "/src")
            var data = Fixture.content("f", size: 1_000_000)
            try writeFile(root + "/src/f", data)
            try copyTree(root + "/src", to: root + "/dst")
            for index in 200_000..<800_000 { data[index] = 0 }
            try writeFile(root + "/src/f", data)
            try setModificationTime(root + "/src/f", seconds: 1_700_000_000)
            let output = try Subprocess(executable: tool.1, arguments: ["-a", "--inplace", "-S"] + options + ["src/", "dst/"],
                directory: root, outputPrefix: root + "/out").wait()
            #expect(output.termination == .exited(0), "\(tool.0): \(output.stderrText)")
            #expect(try readAllBytes(root + "/dst/f") == data, "\(tool.0)")
            var status = stat()
            #expect(lstat(root + "/dst/f", &status) == 0)
            #expect(Int(status.st_blocks) * 512 < 600_000, "\(tool.0): \(status.st_blocks) blocks left")
        }
    }

    // MARK: --chown, --usermap, --groupmap

    @Test(arguments: [
        ["--chown=nobody:nogroup"], ["--chown=:nogroup"], ["--chown=nobody"], ["--usermap=daemon:nobody,1000-2000:bin"],
        ["--usermap=*:1234", "--groupmap=bin:nogroup,*:0"], ["--usermap=d*:sys"], ["--usermap=zz:nosuchuser"],
        // An empty FROM is an owner without a name: none here, every one under --numeric-ids.
        ["--groupmap=:1234"], ["--groupmap=:1234", "--numeric-ids"], ["--usermap=:4321,root:5", "--numeric-ids"],
        ["-n", "--chown=nobody:nogroup"], ["--numeric-ids", "--usermap=1000:2000"],
    ])
    func ownerMaps(_ maps: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ai"] + maps, scenario: .owned))
    }

    @Test(arguments: [
        (["--usermap=x"], 1), (["--usermap=1-:a"], 1), (["--groupmap=5:"], 1), (["--chown=a", "--usermap=b:c"], 1),
        (["--usermap=a:b", "--usermap=c:d"], 1), (["--groupmap=a:b", "--chown=:c"], 1),
    ] as [([String], Int32)])
    func ownerMapRefusals(_ maps: [String], _ status: Int32) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-a"] + maps, scenario: .owned, rerun: false, oracleExit: status))
    }

    // MARK: --info, --debug

    /// `--info=help` and `--debug=help` print rsync's lists; unknown words are refused with rsync's line.
    @Test func outputFlagListsAndRefusalsAreRsyncs() throws {
        let scratch = try TemporaryDirectory("info-help")
        for arguments in [["--info=help"], ["--debug=help"], ["--info=foo", "a", "b"], ["--debug=NAME3,bar", "a", "b"]] {
            let rsync = try Subprocess(executable: Tools.rsync!, arguments: arguments, directory: scratch.path,
                outputPrefix: scratch.path + "/rsync").wait()
            let swsync = try Subprocess(executable: Tools.swsync, arguments: arguments, directory: scratch.path,
                outputPrefix: scratch.path + "/swsync").wait()
            #expect(swsync.termination == rsync.termination, "\(arguments)")
            #expect(swsync.stdoutText == rsync.stdoutText, "\(arguments)")
            #expect(swsync.stderrText.split(separator: "\n").first == rsync.stderrText.split(separator: "\n").first,
                "\(arguments): \(swsync.stderrText)")
        }
    }

    @Test(arguments: [["-r", "--info=nonreg0"], ["-r", "--info=none"], ["-ri", "--info=name0"], ["-r", "--info=name,nonreg2"],
        ["-rv", "--info=all0"]])
    func infoLevels(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .prunable, output: .withoutSkipLines))
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .prunable,
            output: OutputFilter(keptPrefixes: ["skipping non-regular"])))
    }

    /// The file-list line (`--info=flist`: incremental or not, none without `-r`/`-d`), deletions (`del`), why an
    /// entry is skipped (`skip`, with `--ignore-existing`'s reasons at level 2), unsafe-link notes (`symsafe`,
    /// `name`) and the closing summary (`stats`), line for line as rsync prints them.
    @Test(arguments: [
        ["-rv"], ["-rv", "--delete-after"], ["-rv", "--no-i-r"], ["-v"], ["-dv"], ["-r", "--info=flist"],
        ["-rv", "--info=flist0"], ["-rv", "-m"], ["-rv", "--delay-updates"], ["-r", "--info=del", "--delete"],
        ["-rv", "--info=del0,name0", "--delete"], ["-rvv", "-u"], ["-r", "--info=skip", "-u"], ["-rvv", "--existing"],
        ["-rvv", "--ignore-existing"], ["-r", "--info=skip2", "--ignore-existing"],
        ["-rc", "--info=skip2", "--ignore-existing"], ["-rlptD", "--info=skip2", "--ignore-existing"],
        ["-rvv", "--max-size=1"], ["-rvv", "--min-size=5000"],
        ["-rl", "--info=symsafe", "--safe-links"], ["-rlv", "--info=symsafe0", "--safe-links"], ["-rv", "--info=all0"],
        ["-r", "--info=stats"], ["-rv", "--stats", "--info=stats1"],
    ])
    func infoWords(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .stale,
            output: OutputFilter(droppedPrefixes: ["sent ", "total size is ", "delta-transmission", "total: "]),
            rerun: false))
    }

    /// `--info=flist2` (and `--progress`) where rsync builds the whole list before the transfer: "building file
    /// list ... ", a count every hundred entries and "N files to consider" before the first transfer line, a
    /// pull's "receiving file list ..." counted as its receiver counts, a push's as its sender does.
    @Test(arguments: [["-r", "--info=flist2", "--delete-after"], ["-r", "--info=flist2", "-m"],
        ["-d", "--info=flist2"], ["-ri", "--no-i-r", "--info=flist2"], ["-r", "--info=flist2", "--delay-updates"],
        ["-r", "--info=flist2", "--delete-before", "-e", "./rsh.sh", "--rsync-path={PEER}", "src/", "host:dst/"],
        ["-ri", "--info=flist2", "--no-i-r", "-e", "./rsh.sh", "--rsync-path={PEER}", "host:src/", "dst/"],
        ["-ri", "--info=flist2", "-m", "-e", "./rsh.sh", "--rsync-path={PEER}", "host:src/few/", "dst/"],
        ["-r", "--info=flist2", "--no-i-r", "-q"], ["-r", "--info=flist2"]])
    func wholeListProgress(_ options: [String]) throws {
        let operands = options.contains { $0.hasPrefix("host:") } ? [] : ["src/", "dst/"]
        try Self.expectSameAsRsync("flist2", options + operands, ordered: true) { root in
            try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
            for directory in ["/src/many", "/src/few", "/src/empty", "/dst"] { try makeDirectories(root + directory) }
            for index in 0..<230 { try writeFile(root + "/src/many/f\(index)", Array("\(index)".utf8)) }
            try writeFile(root + "/src/few/one", Array("1".utf8))
            try writeFile(root + "/dst/old", Array("old".utf8))
        }
    }

    /// `--list-only` prints the same file-list line as a transfer: incremental, or the whole list counted.
    @Test(arguments: [["-r", "--list-only", "-v"], ["-r", "--list-only", "--progress", "--no-i-r"],
        ["--list-only", "--progress"], ["-r", "--list-only", "--info=flist2", "--delay-updates"]])
    func listOnlyFileListLines(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, operands: ["src/"], scenario: .stale,
            output: OutputFilter(droppedPrefixes: ["sent ", "total size is "]), rerun: false,
            checks: [.printed("file list")]))
    }

    /// `--progress` implies `--info=flist2`: its list lines are rsync's, among the per-file progress lines.
    @Test(arguments: [["-r", "--progress", "--delete-after"], ["-rv", "--progress", "--no-i-r"]])
    func progressCountsTheWholeList(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .stale,
            output: OutputFilter(droppedPrefixes: ["\r", "sent ", "total size is "]), rerun: false,
            checks: [.printed("files to consider")]))
    }

    /// `--info=backup` (and `-vv`): rsync's "backed up NAME to BACKUP" after each item, before each deletion,
    /// and "(new) backup_dir is DIR" once the destination is there.
    @Test(arguments: [["-ai", "--info=backup", "-b"], ["-ai", "--info=backup", "--backup-dir=../bk"],
        ["-ai", "--info=BACKUP", "-b", "--backup-dir=bk/", "--delete"], ["-ai", "--info=backup", "--inplace", "-b"],
        ["-ai", "--info=backup", "--delay-updates", "--backup-dir=bk", "--suffix=.old"],
        ["-ai", "--info=backup0", "-b", "--delete"]])
    func backupLines(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .stale, rerun: false,
            checks: options.contains("--info=backup0") ? [] : [Self.printed("backed up ")]))
    }

    // MARK: Several sources, and $HOME/.cvsignore

    /// Sources that share names merge as in rsync: a directory gets every source's contents, the first
    /// source's file wins a name they share; `-f-C` and `-f:C` read `$HOME/.cvsignore` as `-C` does.
    @Test(arguments: [["-ri"], ["-ai", "--delete"], ["-ri", "-C"], ["-ri", "-f-C"], ["-ri", "-f:C", "-f-C"]])
    func sourcesMergeAndCVSRulesReadHome(_ options: [String]) throws {
        try Self.expectSameAsRsync("merge-sources", options + ["a/", "b/", "c/", "dst/"], home: true) { root in
            for directory in ["/a/sub/deep", "/b/sub/deep", "/c/sub", "/home", "/dst/sub"] {
                try makeDirectories(root + directory)
            }
            for (path, text) in [("a/f", "A"), ("b/f", "B"), ("a/sub/x", "ax"), ("b/sub/x", "bx"), ("b/sub/y", "by"),
                ("b/sub/deep/z", "bz"), ("c/sub/w", "cw"), ("c/sub/home-ignored", "h"), ("dst/sub/old", "o"),
                ("home/.cvsignore", "home-ignored\n")]
            {
                try writeFile(root + "/" + path, Array(text.utf8))
                try setModificationTime(root + "/" + path, seconds: 1_500_000_000)
            }
        }
    }

    /// `--delete-before` with per-directory rules: the pass reads them from the root down, as the sender does,
    /// so a sender-side rule inherited from the root's file hides a rules file below it and it is deleted.
    @Test(arguments: [[":s_.filt"], [":_.filt"], [":sn_.filt"], ["dir-merge,s_.filt", "H_zz"]])
    func deleteBeforeReadsInheritedRules(_ rules: [String]) throws {
        try Self.expectSameAsRsync("delete-before-rules",
            ["-ai", "--delete-before"] + rules.flatMap { ["-f", $0] } + ["src/", "dst/"]) { root in
            for directory in ["/src/bar", "/src/mid"] { try makeDirectories(root + directory) }
            for (path, text) in [("src/.filt", "- .filt\n"), ("src/bar/.filt", "- zz\ndir-merge .filt2\n"),
                ("src/mid/.filt", ":C\n"), ("src/bar/a", "a"), ("src/bar/zz", "z")]
            {
                try writeFile(root + "/" + path, Array(text.utf8))
                try setModificationTime(root + "/" + path, seconds: 1_500_000_000)
            }
            // The directories' times fixed too: a deletion then always changes a directory's time (left at
            // "now", a run within the same second as the fixture saw no change).
            for directory in ["/src/bar", "/src/mid", "/src"] { try setModificationTime(root + directory, seconds: 1_500_000_000) }
            try copyTree(root + "/src", to: root + "/dst")
        }
    }

    /// `-H` with members already in the destination as separate files: the first one there leads (kept when
    /// up to date, else sent at once), the others are linked to it, a missing one waits for the last member;
    /// the same `-i` lines (`hf..T` without `-t`) and tree as rsync's.
    @Test(arguments: [["-iplrH"], ["-iplrtH"], ["-iplrH", "--no-whole-file"], ["-iplrH", "-n"]])
    func hardLinkLeaderAmongExistingMembers(_ options: [String]) throws {
        try Self.expectSameAsRsync("hlink-leader", options + ["src/", "dst/"]) { root in
            for directory in ["/src", "/dst"] { try makeDirectories(root + directory) }
            try writeFile(root + "/src/a", Array("same data\n".utf8))
            for name in ["b", "c", "d"] { try makeHardLink(root + "/src/" + name, to: root + "/src/a") }
            try writeFile(root + "/src/solo", Array("solo\n".utf8))
            try writeFile(root + "/dst/b", Array("other data\n".utf8))
            try writeFile(root + "/dst/c", Array("same data\n".utf8))
            try setModificationTime(root + "/src/a", seconds: 1_500_000_000)
            try setModificationTime(root + "/dst/b", seconds: 1_400_000_000)
            try setModificationTime(root + "/dst/c", seconds: 1_400_000_000)
        }
    }

    /// -H members new in the destination whose copy in a reference directory stands for them, as rsync's
    /// `hard_link_check` looks: `hf` against that copy's attributes (`--copy-dest`), no line when it is the
    /// leader's own inode (`--link-dest`, also in a dry run into a destination it does not make), a
    /// `--compare-dest` match left out (the next member is handled as the first); `-vv`'s "is uptodate" lines
    /// for reference matches (a directory's with its slash), in rsync's order.
    @Test(arguments: [["-ivvplrtH", "--copy-dest=../ref"], ["-iplrtH", "--copy-dest=../ref"],
        ["-vvplrtH", "--copy-dest=../ref"], ["-ivvplrtH", "--link-dest=../ref"], ["-iplrtH", "--link-dest=../ref"],
        ["-iplrtH", "-n", "--link-dest=../ref"], ["-vvplrtH", "--link-dest=../ref"],
        ["-ivvplrtH", "--compare-dest=../ref"], ["-vvplrtH", "--compare-dest=../ref"], ["-iiplrtH", "--link-dest=../ref"]])
    func hardLinkMembersWithReferenceCopies(_ options: [String]) throws {
        try Self.expectSameAsRsync("hlink-reference", options + ["src/", "dst/"], ordered: true) { root in
            try makeDirectories(root + "/src/sub/deep")
            try writeFile(root + "/src/sub/config1", Array("config\n".utf8))
            try makeHardLink(root + "/src/sub/extra", to: root + "/src/sub/config1")
            try writeFile(root + "/src/sub/deep/other", Array("other\n".utf8))
            try makeSymlink(root + "/src/sub/sym", to: "deep/other")
            for path in ["/src/sub/config1", "/src/sub/deep/other", "/src/sub/deep", "/src/sub", "/src"] {
                try setModificationTime(root + path, seconds: 1_500_000_000)
            }
            let copy = try Subprocess.run(Tools.rsync!, ["-aH", "src/", "ref/"], in: root, outputPrefix: root + "/seed")
            #expect(copy.termination == .exited(0))
        }
    }

    /// `-vv`'s notes ("is uptodate", an attribute change's bare name) come before the names of the files sent,
    /// and `-v --delete`'s deletions before the other lines, as rsync's out-of-band messages overtake its item
    /// lines in a small run; a hard link already in place is "is uptodate" too (`-ii`: `hf` without a leader).
    @Test(arguments: [["-avv"], ["-av", "--delete"], ["-ai", "--delete"], ["-avvH"], ["-aiiH"], ["-n", "-v", "-r", "--delete"]])
    func notesComeBeforeItemLines(_ options: [String]) throws {
        try Self.expectSameAsRsync("note-order", options + ["src/", "dst/"], ordered: true) { root in
            for directory in ["/src/a", "/src/b", "/dst/a", "/dst/b"] { try makeDirectories(root + directory) }
            for name in ["a/f1", "a/f2", "a/f3", "b/g1", "b/g2"] {
                try writeFile(root + "/src/" + name, Array("\(name)\n".utf8))
                try writeFile(root + "/dst/" + name, Array("\(name)\n".utf8))
                try setModificationTime(root + "/src/" + name, seconds: 1_500_000_000)
                try setModificationTime(root + "/dst/" + name, seconds: 1_500_000_000)
            }
            try makeHardLink(root + "/src/b/g3", to: root + "/src/b/g1")
            try makeHardLink(root + "/dst/b/g3", to: root + "/dst/b/g1")
            try writeFile(root + "/dst/a/f1", Array("changed\n".utf8))
            try setModificationTime(root + "/dst/b/g2", seconds: 1_400_000_000)
            #expect(chmod(root + "/dst/a/f3", 0o600) == 0)
            try writeFile(root + "/dst/a/extra", Array("x\n".utf8))
            try writeFile(root + "/dst/b/extra", Array("x\n".utf8))
            for directory in ["/src/a", "/src/b", "/dst/a", "/dst/b", "/src", "/dst"] {
                try setModificationTime(root + directory, seconds: 1_500_000_000)
            }
        }
    }

    /// Names as rsync's `rwrite` prints them: `-8` writes high-bit bytes raw, a UTF-8 locale keeps valid UTF-8 and
    /// escapes other bytes, DEL is never escaped, and a name's own `\#ooo` gets its backslash escaped.
    @Test(arguments: [["-r", "--out-format=%n"], ["-r", "-8", "--out-format=%n"], ["-ri"], ["-ri", "-8"]])
    func namesPrintedAsRsyncPrintsThem(_ options: [String]) throws {
        try Self.expectSameAsRsync("name-bytes", options + ["src/", "dst/"], ordered: true) { root in
            try makeDirectories(root + "/src")
            for name: [UInt8] in [Array("plain".utf8), Array("a\\#101b".utf8), [0x64, 0x7F, 0x6C], [0x68, 0xF9, 0x69],
                Array("caf\u{E9}".utf8), [0x63, 0x0A, 0x64], [0xF4, 0x8F, 0xBE, 0x80]]
            {
                let path = Array((root + "/src/").utf8) + name
                let descriptor = path.withUnsafeBufferPointer { buffer in
                    (buffer.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
                }
                #expect(descriptor >= 0)
                close(descriptor)
            }
        }
    }

    /// `-H` with `-L` (or `--copy-unsafe-links`): a followed symlink joins its target's group, which then has
    /// more members than links; the last one listed is sent and the others linked to it, as rsync's, across
    /// directories and from a peer too.
    @Test(arguments: [["-aiLH"], ["-riLH", "--no-i-r"], ["-aiH", "--copy-unsafe-links"], ["-aiLH", "-n"],
        ["-aiLH", "-e", "./rsh.sh", "--rsync-path={PEER}", "host:src/", "dst/"]])
    func hardLinksThroughFollowedSymlinks(_ options: [String]) throws {
        let operands = options.contains { $0.hasPrefix("host:") } ? [] : ["src/", "dst/"]
        try Self.expectSameAsRsync("hlink-followed", options + operands, ordered: true) { root in
            try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
            for directory in ["/src/a", "/src/b", "/out", "/dst"] { try makeDirectories(root + directory) }
            try writeFile(root + "/out/t", Array("target".utf8))
            try writeFile(root + "/src/a/x", Array("x".utf8))
            for (existing, link) in [("/out/t", "/src/h1"), ("/src/a/x", "/src/b/y")] {
                #expect(Glibc.link(root + existing, root + link) == 0)
            }
            for (target, link) in [("../out/t", "/src/l1"), ("h1", "/src/l2"), ("../b/y", "/src/a/l"), ("../a/x", "/src/b/m"),
                ("../../out/t", "/src/a/unsafe")]
            {
                try makeSymlink(root + link, to: target)
            }
        }
    }

    /// `-x`/`-xx` with mount points made for the test (tmpfs; as root): a source mount point is sent empty
    /// (`-x`) or left out with "[sender] skipping mount-point dir" (`-xx`, `--info=mount`); a destination one
    /// is never deleted from: "cannot delete mount point", "[generator] skipping mount-point dir", and one
    /// inside a directory being deleted pins it ("mount point, NAME, pins parent directory" with -vv).
    @Test(.enabled(if: isRoot), arguments: [["-rvv", "-x", "--delete"], ["-rvv", "-xx", "--delete"],
        ["-r", "--info=mount", "-x", "--delete-after"], ["-r", "--info=mount", "-xx", "--delete-before"],
        ["-ri", "--info=mount0", "-xx", "--delete"], ["-rv", "-x"], ["-r", "--info=mount", "-xx", "--no-i-r"],
        ["-r", "--info=mount", "-x", "--delete", "-e", "./rsh.sh", "--rsync-path={PEER}", "src/", "host:dst/"],
        ["-r", "--info=mount", "-xx", "--delete", "-e", "./rsh.sh", "--rsync-path={PEER}", "host:src/", "dst/"]])
    func mountPoints(_ options: [String]) throws {
        let mounts = ["/src/mnt", "/dst/dmnt", "/dst/old/inner"]
        let operands = options.contains { $0.hasPrefix("host:") } ? [] : ["src/", "dst/"]
        try Self.expectSameAsRsync("mount-points", options + operands, ordered: true,
            droppedPrefixes: ["sent ", "total", "delta-transmission"], cleanUp: { root in
                for path in mounts.reversed() { _ = umount2(root + path, Int32(MNT_DETACH)) }
            })
        { root in
            try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
            for directory in ["/src/d"] + mounts { try makeDirectories(root + directory) }
            for path in mounts { #expect(Glibc.mount("none", root + path, "tmpfs", 0, nil) == 0, "mount \(path)") }
            for (path, text) in [("src/a", "a"), ("src/mnt/m", "m"), ("dst/dmnt/z", "z"), ("dst/old/o", "o"),
                ("dst/old/inner/i", "i")]
            {
                try writeFile(root + "/" + path, Array(text.utf8))
            }
        }
    }

    /// `-vv` over a remote shell begins as rsync's does: "opening connection using:" with the command's words
    /// (quoted where they hold more than rsync's plain characters) and their count, then the file-list line.
    @Test(arguments: [["src/", "host:dst/"], ["host:src/", "dst/"]])
    func remoteShellCommandLineAtDoubleVerbose(_ operands: [String]) throws {
        for tool in ["rsync", "swsync"] {
            let scratch = try TemporaryDirectory("opening-line")
            try writeFile(scratch.path + "/rsh.sh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
            try makeDirectories(scratch.path + "/src")
            try writeFile(scratch.path + "/src/f", Array("f\n".utf8))
            let peer = tool == "rsync" ? "rsync" : RemoteHost.absoluteSwsync
            let output = try Subprocess.run(tool == "rsync" ? Tools.rsync! : Tools.swsync,
                ["-rvv", "-e", "./rsh.sh", "--rsync-path=" + peer] + operands, in: scratch.path,
                outputPrefix: scratch.path + "/out")
            #expect(output.termination == .exited(0), "\(tool): \(output.stderrText)")
            let lines = output.stdoutText.split(separator: "\n").map(String.init)
            try #require(lines.count > 1, "\(tool): \(lines)")
            let prefix = "opening connection using: ./rsh.sh host " + peer + " --server "
            #expect(lines[0].hasPrefix(prefix), "\(tool): \(lines[0])")
            let words = lines[0].dropFirst("opening connection using: ".count).split(separator: " ")
            #expect(words.last == "args)" && words.dropLast().last == "(\(words.count - 2)", "\(tool): \(lines[0])")
            let listLine = operands[0].hasPrefix("host:") ? "receiving incremental file list" : "sending incremental file list"
            #expect(lines[1] == listLine, "\(tool): \(lines)")
        }
    }

    /// The summary's rate is rsync's: the bytes over the whole wall-clock seconds the run took, plus half a
    /// second (a run inside one second shows twice its bytes).
    @Test func summaryRateCountsWholeSecondsAsRsync() throws {
        let scratch = try TemporaryDirectory("summary-rate")
        try makeDirectories(scratch.path + "/src")
        try writeFile(scratch.path + "/src/f", Array(repeating: 0x61, count: 10_000))
        let output = try Subprocess.run(Tools.swsync, ["-av", "src/", "dst/"], in: scratch.path, outputPrefix: scratch.path + "/out")
        let line = try #require(output.stdoutText.split(separator: "\n").first { $0.hasPrefix("sent ") })
        let numbers = line.split(separator: " ").compactMap { Double($0.replacingOccurrences(of: ",", with: "")) }
        try #require(numbers.count == 3, "\(line)")
        let bytes = numbers[0] + numbers[1]
        // Within one second, or across one second boundary.
        #expect([bytes / 0.5, bytes / 1.5].contains { abs($0 - numbers[2]) < 0.01 }, "\(line)")
    }

    /// -H with --delay-updates: a group's leader is updated (its new data waits in `.~tmp~` until the end),
    /// so its later members are linked to the new file after the rename, as rsync's
    /// `handle_delayed_updates` finishes the hard links (swsync left them on the old inode, stale).
    @Test(arguments: [["-aHi", "--delay-updates"], ["-aHi", "--delay-updates", "--delete"]])
    func hardLinksToADelayedLeader(_ options: [String]) throws {
        try Self.expectSameAsRsync("hlink-delay", options + ["src/", "dst/"]) { root in
            try makeDirectories(root + "/src/d")
            try writeFile(root + "/src/d/a", Array("new content\n".utf8))
            for member in ["b", "c"] { try makeHardLink(root + "/src/d/" + member, to: root + "/src/d/a") }
            try makeHardLink(root + "/src/other", to: root + "/src/d/a")
            try makeDirectories(root + "/dst/d")
            try writeFile(root + "/dst/d/a", Array("stale\n".utf8))
            for member in ["b", "c"] { try makeHardLink(root + "/dst/d/" + member, to: root + "/dst/d/a") }
            try makeHardLink(root + "/dst/other", to: root + "/dst/d/a")
            try setModificationTime(root + "/dst/d/a", seconds: 1_500_000_000)
            try setModificationTime(root + "/src/d/a", seconds: 1_600_000_000)
            try Fixture.freezeTimes(root + "/src")
            try Fixture.freezeTimes(root + "/dst")
        }
    }

    /// rsync and swsync in their own copy of a fixture `prepare` makes (given the copy's root), each run there with
    /// `arguments` ending in `src/ dst/`: the same exit, the same `-i` lines (as sets, or in order with
    /// `ordered`) and the same `dst` tree. `{PEER}` in an argument is the tool's own server program, for
    /// `--rsync-path` with a remote shell. `exit`: rsync's expected status; with one other than 0 the
    /// error lines are compared too, in order, without the program's name and the closing line. `cleanUp`
    /// runs in each copy after its run (to unmount what `prepare` mounted); lines starting with one of
    /// `droppedPrefixes` are not compared.
    static func expectSameAsRsync(_ label: String, _ arguments: [String], home: Bool = false, ordered: Bool = false,
        exit: Int32 = 0, droppedPrefixes: [String] = [], cleanUp: (String) -> Void = { _ in },
        prepare: (String) throws -> Void) throws
    {
        let scratch = try TemporaryDirectory(label)
        var results: [String: (lines: [String], tree: TreeSnapshot?, status: Termination)] = [:]
        var errors: [String: [String]] = [:]
        for tool in ["rsync", "swsync"] {
            let root = scratch.path + "/" + tool
            try makeDirectory(root)
            defer { cleanUp(root) }
            try prepare(root)
            var environment = Subprocess.childEnvironment
            if home { environment = environment.filter { !$0.hasPrefix("HOME=") } + ["HOME=" + root + "/home"] }
            let peer = tool == "rsync" ? "rsync" : RemoteHost.absoluteSwsync
            let output = try Subprocess(executable: tool == "rsync" ? Tools.rsync! : Tools.swsync,
                arguments: arguments.map { $0.replacingOccurrences(of: "{PEER}", with: peer) }, directory: root,
                outputPrefix: root + "/out", environment: environment).wait()
            let lines = output.stdoutText.split(separator: "\n").map(String.init)
                .filter { !$0.hasPrefix("sent ") && !$0.hasPrefix("total size is ") }
                .filter { line in !droppedPrefixes.contains { line.hasPrefix($0) } }
            errors[tool] = output.stderrText.replacingOccurrences(of: root, with: "ROOT").split(separator: "\n")
                .map { String($0.drop { $0 != " " }) }.filter { !$0.hasPrefix(" error: ") }
            results[tool] = (ordered ? lines : lines.sorted(),
                access(root + "/dst", F_OK) == 0 ? try TreeSnapshot(root + "/dst") : nil, output.termination)
        }
        let rsync = results["rsync"]!, swsync = results["swsync"]!
        #expect(rsync.status == .exited(exit), "rsync: \(rsync.status)")
        #expect(swsync.status == rsync.status)
        #expect(swsync.lines == rsync.lines)
        if exit != 0 { #expect(errors["swsync"] == errors["rsync"]) }
        // (A dry run into a destination it does not make leaves none.)
        #expect((rsync.tree == nil) == (swsync.tree == nil), "only one tool left a destination")
        if let expected = rsync.tree, let tree = swsync.tree {
            let differences = TreeComparison.differences(expected, tree, labels: ("rsync", "swsync"))
            #expect(differences.isEmpty, "\(differences)")
        }
    }

    /// rsync's own output has the line the case is about.
    static func printed(_ fragment: String) -> OracleCheck {
        OracleCheck { record in
            record.output.stdoutText.contains(fragment) ? [] : ["rsync printed no \"\(fragment)\" line"]
        }
    }

    /// `%C`: the whole-file sum of each file written, in rsync's hex for each `--checksum-choice`; blanks as
    /// wide where none is known (directories, entries not written).
    @Test(arguments: [["-r", "--out-format=%C %n"], ["-r", "--cc=xxh64", "--out-format=[%C] %n"],
        ["-ai", "--cc=xxh3", "--out-format=%i %C %n"], ["-ai", "--no-whole-file", "--out-format=%C|%n"],
        // rsync's escape parsing: a width longer than its buffer makes the text no escape; flags in any order.
        ["-r", "--out-format=%000000000000000000000000000000%C %n"], ["-r", "--out-format=%5%|%-3%|%5n|%'l|%-'8l|%q|%'-5l"]])
    func fileChecksumEscape(_ options: [String]) throws {
        let scenario: Scenario = options.contains("-ai") ? .stale : .fresh
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: scenario, rerun: false))
    }

    /// `--debug=NSTR`: rsync's lines for the checksum and compression in use. (Without a choice, zstd's level
    /// is ours, 2, where rsync says 3: Docs/compatibility.md.) Words in upper case and levels too large to
    /// read are accepted, as rsync accepts them.
    @Test(arguments: [["-a", "--debug=NSTR"], ["-a", "--checksum-choice=xxh64", "--debug=nstr"],
        ["-az", "--zc=zlib", "--compress-level=9", "--debug=NSTR1"], ["-av", "--cc=xxh3,xxh64", "--debug=NSTR"],
        ["-a", "--info=BACKUP99999999999999999999", "--debug=none"]])
    func negotiationLines(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .fresh, rerun: false))
    }

    /// `--debug=deltasum` (and `-vv`): rsync's totals line, before the `--stats` block, with the same
    /// matches and literal data as rsync's. (Its hash hits and false alarms are our table's: a basis of
    /// blocks that share the source's weak sums but not its strong ones shows both, never zero.)
    @Test(arguments: [["--debug=deltasum1"], ["-vv", "--stats"], ["--debug=DELTASUM", "--inplace"]])
    func deltaSearchTotals(_ options: [String]) throws {
        let scratch = try TemporaryDirectory("deltasum")
        var decoy = [UInt8](repeating: 100, count: 256)
        (decoy[0], decoy[1], decoy[2]) = (101, 98, 101)  // the same weak sum as 256 bytes of 100, another block
        var totals: [String: [String]] = [:]
        for tool in [("rsync", Tools.rsync!), ("swsync", Tools.swsync)] {
            let root = scratch.path + "/" + tool.0
            try makeDirectories(root + "/src")
            try makeDirectories(root + "/dst")
            try writeFile(root + "/dst/image.bin", Array([[UInt8]](repeating: decoy, count: 200).joined())
                + Fixture.content("tail", size: 50_000))
            try writeFile(root + "/src/image.bin", [UInt8](repeating: 100, count: 3000) + Fixture.content("tail", size: 50_000))
            let output = try Subprocess(executable: tool.1,
                arguments: ["-a", "--no-whole-file", "--block-size=256"] + options + ["src/", "dst/"],
                directory: root, outputPrefix: root + "/out").wait()
            #expect(output.termination == .exited(0), "\(tool.0): \(output.stderrText)")
            let lines = output.stdoutText.split(separator: "\n").map(String.init)
            let total = try #require(lines.firstIndex { $0.hasPrefix("total: matches=") }, "\(tool.0): \(lines)")
            if let stats = lines.firstIndex(where: { $0.hasPrefix("Number of files:") }) { #expect(total < stats) }
            let fields = lines[total].split(separator: " ").map(String.init)
            totals[tool.0] = fields.filter { $0.hasPrefix("matches=") || $0.hasPrefix("data=") }
            if tool.0 == "swsync" {
                #expect(!fields.contains("hash_hits=0") && !fields.contains("false_alarms=0"), "\(lines[total])")
            }
            #expect(try readAllBytes(root + "/dst/image.bin") == readAllBytes(root + "/src/image.bin"), "\(tool.0)")
        }
        #expect(totals["rsync"] == totals["swsync"])
    }

    // MARK: -y / --fuzzy

    /// The same basis as rsync's: the same literal and matched bytes, the same lines and trees.
    @Test(arguments: [["-y"], ["-yy", "--compare-dest=../ref"], ["-yy", "--copy-dest=../ref"], ["-y", "--delete"],
        ["-y", "--delete-after"], ["-y", "-n"]])
    func fuzzyBasis(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ai", "--no-whole-file", "--stats"] + options,
            scenario: .fuzzy, output: .itemizeAndDataStats))
    }

    // MARK: --ignore-missing-args, --delete-missing-args

    @Test(arguments: [
        ["--delete-missing-args"], ["--delete-missing-args", "--force"], ["--delete-missing-args", "--delete"],
        ["--delete-missing-args", "-n"], ["--ignore-missing-args"], [],
    ])
    func missingArguments(_ options: [String]) throws {
        let operands = ["src/a", "src/x", "src/gone", "src/emptyd", "src/none", "dst/"]
        try DifferentialRunner.run(DifferentialCase(arguments: ["-ai"] + options, operands: operands, scenario: .missingSources,
            oracleExit: options.isEmpty ? 23 : 0))
    }

    /// Over a remote link the missing names travel as "missing" entries: the receiving end deletes
    /// their counterparts as a local run does (a push's server, a pull's client).
    @Test func deleteMissingArgsOverARemoteLink() throws {
        let scratch = try TemporaryDirectory("missing-remote")
        let root = scratch.path
        try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)
        let remote = ["-e", root + "/rsh.sh", "--rsync-path=\(RemoteHost.absoluteSwsync)"]
        for label in ["push", "pull"] {
            let run = root + "/" + label
            try makeDirectories(run + "/src")
            try makeDirectories(run + "/dst/gone/sub")
            try makeDirectories(run + "/dst/emptyd")
            try writeFile(run + "/src/a", Array("a".utf8))
            try writeFile(run + "/dst/x", Array("x".utf8))
            try writeFile(run + "/dst/gone/sub/y", Array("y".utf8))
            let names = ["a", "x", "gone", "emptyd", "none"]
            let operands = label == "push"
                ? names.map { run + "/src/" + $0 } + ["host:" + run + "/dst/"]
                : names.map { "host:" + run + "/src/" + $0 } + [run + "/dst/"]
            let output = try Subprocess(executable: Tools.swsync, arguments: ["-ai", "--delete-missing-args"] + remote + operands,
                directory: root, outputPrefix: run + "-out").wait()
            #expect(output.termination == .exited(0), "\(label): \(output.stderrText)")
            #expect(exists(run + "/dst/a") && !exists(run + "/dst/x") && !exists(run + "/dst/emptyd"), "\(label)")
            #expect(exists(run + "/dst/gone/sub/y"), "\(label): a non-empty directory needs --delete or --force")
            #expect(output.stdoutText.contains("*deleting   x"), "\(label): \(output.stdoutText)")
            #expect(output.stdoutText.contains("cannot delete non-empty directory: gone"), "\(label)")
        }
    }

    /// `--debug=FUZZY` names each basis as rsync does (one in a reference directory by its absolute
    /// path, which differs between the two runs' directories, so only the others are compared).
    @Test func fuzzyDebugNamesTheBasis() throws {
        try DifferentialRunner.run(DifferentialCase(arguments: ["-a", "--no-whole-file", "-yy", "--compare-dest=../ref",
            "--debug=FUZZY"], scenario: .fuzzy, output: OutputFilter(keptPrefixes: ["fuzzy basis selected for data",
                "fuzzy basis selected for a.", "fuzzy basis selected for other"]),
            checks: [.printed("fuzzy basis selected for data-2026.log: data-2025.log")]))
    }

    // MARK: -S, --preallocate, --fsync

    /// The same trees as rsync's on the rich fixture, fresh and stale.
    @Test(arguments: [["-aS", "-i"], ["-a", "-i", "--preallocate"], ["-a", "-i", "--fsync"], ["-aS", "-i", "--no-whole-file"],
        ["-aS", "-i", "--inplace"]])
    func dataWriteOptions(_ options: [String]) throws {
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .fresh))
        try DifferentialRunner.run(DifferentialCase(arguments: options, scenario: .stale))
    }

    /// `-S` leaves holes where the source has holes or zero blocks, as rsync does: the copies take no
    /// more blocks than rsync's, locally (a kernel copy, `--bwlimit`'s paced copy, a delta against an
    /// old copy) and in a push. The data is the same.
    @Test func sparseCopiesTakeNoMoreBlocksThanRsyncs() throws {
        let scratch = try TemporaryDirectory("sparse")
        let src = scratch.path + "/src"
        try makeDirectories(src)
        let data = Fixture.content("data", size: 1 << 20)
        try writeFile(src + "/zeros", [UInt8](repeating: 0, count: 6 << 20))
        try writeFile(src + "/mixed", Array(data.prefix(5000)) + [UInt8](repeating: 0, count: 3 << 20) + Array(data.prefix(100)))
        let holey = open(src + "/holey", O_WRONLY | O_CREAT, 0o644)
        #expect(ftruncate(holey, 16 << 20) == 0)
        _ = data.withUnsafeBytes { pwrite(holey, $0.baseAddress, $0.count, 8 << 20) }
        close(holey)
        let tail = open(src + "/tail-hole", O_WRONLY | O_CREAT, 0o644)
        #expect(ftruncate(tail, 5 << 20) == 0)
        close(tail)
        try copyTree(src, to: scratch.path + "/old")
        try writeFile(scratch.path + "/old/mixed", Array(data.prefix(3000)))
        let runs: [(String, String, [String])] = [
            ("rsync", Tools.rsync!, ["-aS", "src/", "rsync/"]),
            ("local", Tools.swsync, ["-aS", "src/", "local/"]),
            ("paced", Tools.swsync, ["-aS", "--bwlimit=1000000", "src/", "paced/"]),
            ("delta", Tools.swsync, ["-aS", "--no-whole-file", "--copy-dest=../old", "src/", "delta/"]),
            ("push", Tools.swsync, ["-aS", "-e", scratch.path + "/rsh.sh", "--rsync-path=\(RemoteHost.absoluteSwsync)",
                "src/", "host:" + scratch.path + "/push/"]),
        ]
        try writeFile(scratch.path + "/rsh.sh", Array("#!/bin/sh\nshift\nexec sh -c \"$*\"\n".utf8), mode: 0o755)
        for (label, tool, arguments) in runs {
            let output = try Subprocess(executable: tool, arguments: arguments, directory: scratch.path,
                outputPrefix: scratch.path + "/" + label).wait()
            #expect(output.termination == .exited(0), "\(label): \(output.stderrText)")
        }
        for name in ["zeros", "mixed", "holey", "tail-hole"] {
            var reference = stat()
            #expect(lstat(scratch.path + "/rsync/" + name, &reference) == 0)
            for (label, _, _) in runs.dropFirst() {
                var copy = stat()
                #expect(lstat(scratch.path + "/" + label + "/" + name, &copy) == 0)
                #expect(copy.st_size == reference.st_size && copy.st_blocks <= reference.st_blocks,
                    "\(label)/\(name): \(copy.st_blocks) blocks, rsync's \(reference.st_blocks)")
                #expect(try readAllBytes(scratch.path + "/" + label + "/" + name) == readAllBytes(src + "/" + name),
                    "\(label)/\(name)")
            }
        }
        var plain = stat()
        #expect(lstat(src + "/zeros", &plain) == 0 && plain.st_blocks > 0, "the fixture's zeros are written, not a hole")
    }
}

extension OutputFilter {
    /// Itemize lines and the literal/matched byte counts.
    static let itemizeAndDataStats = OutputFilter(keptPrefixes: [">f", "cd", ".d", ".f", "*deleting", "Literal data:",
        "Matched data:"])

    /// The standard lines without "skipping non-regular file" (rsync prints them at another point,
    /// Docs/compatibility.md).
    static let withoutSkipLines = OutputFilter(droppedPrefixes: OutputFilter.standard.droppedPrefixes + ["skipping non-regular"])
}

extension Scenario {
    /// Named sources that exist (`a`) and that do not (`x`, `gone`, `emptyd`, `none`), against a
    /// destination holding a file, a non-empty and an empty directory of those names.
    static let missingSources = Scenario(name: "missing-sources") { context in
        for directory in ["src", "dst/gone/sub", "dst/emptyd"] { try makeDirectories(context.path(directory)) }
        try writeFile(context.path("src/a"), Array("a".utf8))
        try writeFile(context.path("dst/x"), Array("x".utf8))
        try writeFile(context.path("dst/gone/sub/y"), Array("y".utf8))
    }

    /// Renamed and rotated files for `-y`: each new source file has a near name in the destination or in
    /// `ref/` with most of its data, one has a same-size-and-time twin under another name.
    static let fuzzy = Scenario(name: "fuzzy") { context in
        for directory in ["src/sub", "dst/sub", "ref/sub"] { try makeDirectories(context.path(directory)) }
        let log = Fixture.content("log", size: 200_000)
        try writeFile(context.path("src/data-2026.log"), log + Array("more\n".utf8))
        try writeFile(context.path("dst/data-2025.log"), log)
        let other = Fixture.content("other", size: 5_000)
        try writeFile(context.path("src/other.txt"), other)
        try writeFile(context.path("dst/unrelated.bin"), other)
        let report = Fixture.content("report", size: 9_000)
        try writeFile(context.path("src/sub/report.pdf"), report)
        try writeFile(context.path("ref/sub/report-old.pdf"), report)
        try writeFile(context.path("dst/sub/zzz.pdf"), report + [1])
        let archive = Fixture.content("archive", size: 3_000)
        try writeFile(context.path("src/a.tar.gz"), archive)
        try writeFile(context.path("dst/a.tar.gz.bak"), archive)
        try writeFile(context.path("dst/b.tgz"), archive)
    }

    /// Files and directories owned by several users and groups (the tests run as root).
    static let owned = Scenario(name: "owned") { context in
        try makeDirectories(context.path("src/sub"))
        for (file, uid, gid) in [("src/a", 1000, 1000), ("src/sub/b", 1, 2), ("src/c", 0, 0), ("src/sub", 1, 1)] as [(String, UInt32, UInt32)] {
            if file != "src/sub" { try writeFile(context.path(file), Array(file.utf8)) }
            #expect(chown(context.path(file), uid, gid) == 0)
        }
    }

    /// Symlinks (one already munged, one leading up) and a deep tree, for `--munge-links` and `--old-dirs`.
    static let mungeable = Scenario(name: "mungeable") { context in
        try makeDirectories(context.path("src/sub/deep"))
        try makeDirectories(context.path("dst/old/inner"))
        try writeFile(context.path("src/top"), Array("top".utf8))
        try writeFile(context.path("src/sub/f"), Array("f".utf8))
        try writeFile(context.path("src/sub/deep/g"), Array("g".utf8))
        try makeSymlink(context.path("src/sub/up"), to: "../top")
        try makeSymlink(context.path("src/munged"), to: "/rsyncd-munged/abs")
    }

    /// Symlinks whose ".." follows a name: rsync 3.5 calls them unsafe however deep they sit, and one that
    /// ends in "/..", while leading ".." components are counted as before.
    static let dottedLinks = Scenario(name: "dotted-links") { context in
        try makeDirectories(context.path("src/links/a/a/a"))
        try writeFile(context.path("src/links/peer"), Array("peer".utf8))
        try makeSymlink(context.path("src/links/back"), to: "a/a/a/../../../peer")
        try makeSymlink(context.path("src/links/a/up"), to: "b/..")
        try makeSymlink(context.path("src/links/a/a/lead"), to: "../../peer")
        try makeSymlink(context.path("src/links/a/a/far"), to: "../../../../peer")
        try makeDirectories(context.path("dst/links"))
        try makeSymlink(context.path("dst/links/back"), to: "a/a/a/../../../peer")
    }

    /// Partial directories in the source and the destination: `.p/` and `.~tmp~/` at the top (kept) and in
    /// a directory the source lacks (deleted with it).
    static let partialDirectories = Scenario(name: "partial-dirs") { context in
        for directory in ["src/.p", "src/.~tmp~", "src/sub", "dst/.p", "dst/.~tmp~", "dst/gone/.p", "dst/sub"] {
            try makeDirectories(context.path(directory))
        }
        for file in ["src/a", "src/.p/x", "src/.~tmp~/x", "src/sub/b", "dst/.p/y", "dst/.~tmp~/y", "dst/gone/.p/z"] {
            try writeFile(context.path(file), Array(file.utf8))
        }
    }

    /// For `--remove-source-files`: files, a symlink, a FIFO, a hard-link pair, a file already up to
    /// date, one newer in the destination, and a `prev/` snapshot holding one file unchanged.
    static let removable = Scenario(name: "removable") { context in
        try makeDirectories(context.path("src/sub/deep"))
        try makeDirectories(context.path("dst"))
        try makeDirectories(context.path("prev/sub"))
        for file in ["src/a", "src/sub/b", "src/sub/deep/c", "src/same", "src/newer"] {
            try writeFile(context.path(file), Array(file.utf8))
        }
        try makeSymlink(context.path("src/link"), to: "a")
        try makeSymlink(context.path("src/sub/tob"), to: "b")
        #expect(mkfifo(context.path("src/fifo"), 0o644) == 0)
        #expect(link(context.path("src/a"), context.path("src/hard")) == 0)
        try copyTree(context.path("src/same"), to: context.path("dst/same"))
        try copyTree(context.path("src/sub/b"), to: context.path("prev/sub/b"))
        try writeFile(context.path("dst/newer"), Array("newer in the destination".utf8))
        try setModificationTime(context.path("dst/newer"), seconds: 1_900_000_000)
    }

    /// Empty directory chains (`a/b`, `j/k/l`), directories with a file deep down (`d/e/f`), one holding
    /// only a symlink (`h`), one holding only an `*.o` file (`i`), an empty one to protect (`g`); the
    /// destination has an empty chain of its own (`old/empty`) and `a/b`.
    static let prunable = Scenario(name: "prunable") { context in
        for directory in ["src/a/b", "src/c", "src/d/e", "src/g", "src/h", "src/i", "src/j/k/l", "dst/a/b", "dst/old/empty", "dst/g"] {
            try makeDirectories(context.path(directory))
        }
        for file in ["src/c/file", "src/d/e/f", "src/i/x.o", "src/j/k/top"] {
            try writeFile(context.path(file), Array(file.utf8))
        }
        try makeSymlink(context.path("src/h/link"), to: "nowhere")
    }
}
