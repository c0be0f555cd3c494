import Testing
@testable import SwsyncCLI
import SyncCore
import SyncTestSupport

@Suite("rsync command-line grammar", .tags(.small))
struct CommandLineParserTests {
    func parse(_ arguments: String...) throws -> ParsedCommandLine {
        try CommandLineParser.parse(arguments)
    }

    @Test func archiveBundleExpands() throws {
        let command = try parse("-avP", "src/", "dst/")
        let options = command.options
        #expect(options.recursive && options.links && options.perms && options.times)
        #expect(options.group && options.owner && options.devices && options.specials)
        #expect(options.verbose == 1 && options.partial && options.progress)
        #expect(command.positional == ["src/", "dst/"])
    }

    @Test func negationsTurnOffImpliedOptions() throws {
        let options = try parse("-a", "--no-perms", "--no-t", "--no-D", "--no-o", "a", "b").options
        #expect(!options.perms && !options.times && !options.devices && !options.specials && !options.owner)
        #expect(options.recursive && options.links && options.group)
    }

    @Test func valuesInEveryForm() throws {
        #expect(try parse("--max-delete=5", "a", "b").options.maxDelete == 5)
        #expect(try parse("--max-delete", "7", "a", "b").options.maxDelete == 7)
        #expect(try parse("-e", "ssh -p 2", "a", "b").options.remoteShell == "ssh -p 2")
        #expect(try parse("-essh", "a", "b").options.remoteShell == "ssh")
        #expect(try parse("-avT/tmp/x", "a", "b").options.tempDir == Array("/tmp/x".utf8))
        #expect(try parse("--modify-window=-1", "a", "b").options.modifyWindow == -1)
        #expect(try parse("-@", "2", "a", "b").options.modifyWindow == 2)
    }

    @Test func repeatedVerbosityAndItemize() throws {
        let options = try parse("-vvii", "a", "b").options
        #expect(options.verbose == 2 && options.itemize == 2)
        #expect(try parse("-v", "-v", "-q", "a", "b").options.quiet)
    }

    @Test func optionsAfterPositionalsAndDoubleDash() throws {
        let command = try parse("src/", "dst/", "-a", "--", "-odd")
        #expect(command.options.recursive)
        #expect(command.positional == ["src/", "dst/", "-odd"])
    }

    @Test func hAloneIsHelpOtherwiseHuman() throws {
        #expect(try parse("-h").showHelp)
        let command = try parse("-h", "a", "b")
        #expect(!command.showHelp && command.options.humanReadable == 2)
        #expect(try parse("-hh", "a", "b").options.humanReadable == 3)
        #expect(try parse("--no-h", "a", "b").options.humanReadable == 0)
    }

    @Test func filterOrderIsKept() throws {
        let filters = try parse("--include=*.c", "--exclude", "*", "-f", "- x", "a", "b").options.filters
        #expect(filters == [FilterOption(.include, "*.c"), FilterOption(.exclude, "*"), FilterOption(.filter, "- x")])
    }

    @Test func deleteTimings() throws {
        #expect(try parse("-r", "--delete", "a", "b").options.effectiveDeleteTiming == .during)
        #expect(try parse("-r", "--delete-after", "a", "b").options.effectiveDeleteTiming == .after)
        #expect(try parse("-r", "--del", "a", "b").options.effectiveDeleteTiming == .during)
        #expect(try parse("-r", "--delete-delay", "a", "b").options.effectiveDeleteTiming == .delay)
    }

    @Test(arguments: [
        (["--bogus", "a", "b"], "--bogus: unknown option"),
        (["-avY", "a", "b"], "-avY: unknown option"),
        (["--max-delete=abc", "a", "b"], "--max-delete=abc: invalid numeric value"),
        (["--chmod=zz", "a", "b"], "Invalid argument passed to --chmod (zz)"),
        (["--no-bogus", "a", "b"], "--no-bogus: unknown option"),
        (["--max-size=1Q", "a", "b"], "--max-size=1Q is invalid"),
        (["-r", "--delete-before", "--delete-after", "a", "b"], "You may not combine multiple --delete-WHEN options."),
        (["--suffix=/x", "-b", "a", "b"], "--suffix cannot contain slashes: /x"),
        (["--delete", "a", "b"], "--delete does not work without --recursive (-r) or --dirs (-d)."),
        (["--info=bogus", "a", "b"], "Unknown --info item: \"bogus\""),
        (["a", "b", "-e"], "-e: missing argument"),
        (["--link-dest=x", "--copy-dest=y", "a", "b"], "You may not mix --compare-dest, --copy-dest, and --link-dest."),
    ])
    func badInputIsASyntaxError(arguments: [String], message: String) {
        do {
            _ = try CommandLineParser.parse(arguments)
            Issue.record("expected a syntax error for \(arguments)")
        } catch {
            #expect(error.status == .syntax)
            #expect(error.message == message)
        }
    }

    /// Options rsync scripts pass that change nothing in swsync are accepted, and their values checked
    /// with rsync's messages.
    @Test func compatibilityOptionsAreAcceptedWithRsyncsChecks() throws {
        for option in ["--no-i-r", "--inc-recursive", "--no-inc-recursive", "-s", "--secluded-args", "--protect-args",
            "--old-args", "--trust-sender", "--open-noatime", "--protocol=29", "--checksum-seed=7",
            "--compress-threads=2", "--outbuf=L", "--outbuf=n", "--max-alloc=0", "--max-alloc=2m", "--stderr=e",
            "--stderr=client"]
        {
            #expect(throws: Never.self, "\(option)") { try parse(option, "a", "b") }
        }
        #expect(try parse("--protocol=30", "a", "b").ignoredOptions == ["--protocol=30"])
        #expect(try parse("-M--fsync", "--remote-option=-z", "a", "b").remoteOptions == ["--fsync", "-z"])
        #expect(try parse("--no-crtimes", "a", "b").options.times == false)
        let refusals: [(String, String, SyncCore.ExitStatus)] = [
            ("--max-alloc=1k", "--max-alloc=1k is too small (min: 1.00M or 0 for unlimited)", .syntax),
            ("--max-alloc=abc", "--max-alloc=abc is invalid", .syntax),
            ("--outbuf=X", "Invalid --outbuf setting -- specify N, L, or B.", .syntax),
            ("--stderr=foo", "--stderr mode \"foo\" is not one of errors, all, or client", .syntax),
            ("--checksum-seed=x", "--checksum-seed=x: invalid numeric value", .syntax),
            ("--protocol=40", "--protocol must be no more than 32 on the Client.", .protocolIncompatibility),
            ("-N", "This rsync does not support --crtimes (-N)", .syntax),
            ("-Mfoo", "Remote option must start with a dash: foo", .syntax),
            // swsync's own --shard (the rest of its values: ShardTests).
            ("--shard=0/4", "--shard=0/4: K must be from 1 to N", .syntax),
            ("--shard=1/0", "--shard=1/0: N must be at least 1", .syntax),
            ("--shard=x", "--shard=x: expected K/N, two numbers such as 2/4", .syntax),
        ]
        for (option, message, status) in refusals {
            do throws(SyncError) {
                _ = try CommandLineParser.parse([option, "a", "b"])
                Issue.record("\(option) was accepted")
            } catch {
                #expect(error.message == message && error.status == status, "\(option): \(error.message)")
            }
        }
    }

    /// `--shard=K/N` (swsync's own): parsed into `SyncOptions.shard` and
    /// passed to the peer whichever end sends, so a pull's server lists only this shard's entries and a
    /// push's server deletes only this shard's.
    @Test func shardIsParsedAndForwarded() throws {
        let command = try parse("-a", "--shard=2/4", "a", "host:b")
        #expect(command.options.shard == (try Shard(index: 2, count: 4)))
        for sends in [false, true] {
            let words = RemoteTransfer.serverCommand(command: command, options: command.options, sends: sends,
                paths: ["b"])
            #expect(words.contains("--shard=2/4"), "\(words)")
        }
    }
}
