import SyncTestSupport
import Testing

// How to run (from the package root):
//
//   swift build && swift test --filter SwsyncEndToEndTests          # swsync vs /usr/bin/rsync
//   SWSYNC_BIN=/usr/bin/rsync swift test --filter SwsyncEndToEndTests  # harness self-check: rsync vs rsync
//   SWSYNC_KEEP_TMP=1 ...                                           # keep the case directories for a post-mortem
//
// Each case directory (named in every failure message) holds `template/` (the prepared scenario), `rsync/` and
// `swsync/` (the two run directories after the runs) and `logs/` (each tool's stdout and stderr, per pass).
// Layout of the helpers: Support/Fixture.swift (the rich tree and its variants), Support/Scenarios.swift,
// Support/TreeSnapshot.swift (lstat walk and comparison), Support/Differential.swift (the A/B runner),
// Support/Subprocess.swift (posix_spawn with a time limit).

/// swsync against real rsync: same scenario, same arguments, compare exit status, stdout (itemize and friends),
/// the resulting trees, which entries were rewritten, and the same again for a second identical run.
///
/// With `SWSYNC_BIN=/usr/bin/rsync` every case compares rsync with itself and must pass; that validates the
/// harness. Cases carry rsync's expected exit status (`oracleExit`) and optional `checks` on rsync's own result,
/// so a case that does not exercise what it claims fails loudly with "HARNESS:".
@Suite(.tags(.large, .differential), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct DifferentialTests {
    // MARK: - Basic option sets against each kind of destination

    static let basicOptionSets: [[String]] = [
        ["-a"], ["-av"], ["-ai"], ["-r"], ["-rl"], ["-rlt"], ["-rlptgoD"], ["-aiH"],
    ]

    static let basicCases: [DifferentialCase] = basicOptionSets.flatMap { options in
        [Scenario.fresh, .identical, .stale].map { scenario in
            DifferentialCase(arguments: options, scenario: scenario)
        }
    } + [
        DifferentialCase(arguments: ["-ai"], scenario: .emptyDestination),
        DifferentialCase(arguments: ["-aiHn"], scenario: .fresh),
        DifferentialCase(arguments: ["-aiH", "--delete"], scenario: .typeSwapped),
        DifferentialCase(arguments: ["-aiv"], scenario: .stale),
        DifferentialCase(arguments: ["-ri"], scenario: .stale),
        DifferentialCase(arguments: ["-ai"], scenario: .edgeCases),
        DifferentialCase(arguments: ["-av"], scenario: .edgeCases),
        DifferentialCase(arguments: ["-aiH"], scenario: .edgeCasesStale),
    ]

    @Test(arguments: basicCases)
    func basic(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Symlinks, permissions, owners, times

    static let attributeCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-aiL"], scenario: .fresh, oracleExit: 23),  // dangling link has no referent
        DifferentialCase(arguments: ["-aiL"], scenario: .stale, oracleExit: 23),
        DifferentialCase(arguments: ["-ai", "--copy-unsafe-links"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--safe-links"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--safe-links"], scenario: .stale),
        DifferentialCase(arguments: ["-aik"], scenario: .fresh),  // --copy-dirlinks
        DifferentialCase(arguments: ["-rlpt", "-E", "-i"], scenario: .stale),
        DifferentialCase(arguments: ["-rlt", "-E", "-i"], scenario: .stale),  // -E without -p
        DifferentialCase(arguments: ["-rlt", "-E", "-i"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--chmod=D755,F644"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--chmod=u+x,g-w"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--chmod=u+x,g-w"], scenario: .stale),
        DifferentialCase(arguments: ["-aiO"], scenario: .fresh),
        DifferentialCase(arguments: ["-aiO"], scenario: .stale),
        DifferentialCase(arguments: ["-aiJ"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--numeric-ids"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--numeric-ids"], scenario: .stale),
        DifferentialCase(arguments: ["-rlptDi"], scenario: .stale),  // no -o/-g: owners of existing files stay
        DifferentialCase(arguments: ["-aiW"], scenario: .stale),
        DifferentialCase(arguments: ["-aix"], scenario: .fresh),
    ]

    @Test(arguments: attributeCases)
    func attributes(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Skipping and comparison rules

    static let quickCheckCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-aic"], scenario: .stale),
        DifferentialCase(arguments: ["-aic"], scenario: .identical),
        DifferentialCase(arguments: ["-ai", "--size-only"], scenario: .stale),
        DifferentialCase(arguments: ["-aiI"], scenario: .stale),
        DifferentialCase(arguments: ["-aiI"], scenario: .identical),
        DifferentialCase(arguments: ["-ai", "--modify-window=2"], scenario: .stale),
        DifferentialCase(arguments: ["-aiu"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--ignore-existing"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--existing"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--existing"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--existing"], scenario: .typeSwapped, oracleExit: 23),
    ]

    @Test(arguments: quickCheckCases)
    func quickCheck(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Deletion

    static let deletionCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ai", "--delete"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete"], scenario: .identical),
        DifferentialCase(arguments: ["-ai", "--delete-before"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete-during"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete-delay"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete-after"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--del"], scenario: .stale),
        DifferentialCase(arguments: ["-av", "--delete"], scenario: .stale),
        DifferentialCase(
            arguments: ["-ai", "--delete", "--max-delete=1"], scenario: .stale, oracleExit: 25),
        DifferentialCase(arguments: ["-ai"], scenario: .typeSwapped, oracleExit: 23),
        DifferentialCase(arguments: ["-ai", "--delete"], scenario: .typeSwapped),
        DifferentialCase(arguments: ["-ai", "--force"], scenario: .typeSwapped),
        DifferentialCase(arguments: ["-ai", "--delete", "--force"], scenario: .typeSwapped),
        DifferentialCase(arguments: ["-ri", "--delete"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete-during", "--delete-delay"], scenario: .stale),
        // --max-delete blocks a directory that a file must replace: 23 outranks 25, as in rsync.
        DifferentialCase(arguments: ["-ai", "--delete", "--max-delete=0"], scenario: .typeSwapped, oracleExit: 23),
        // A symlink where the source has a directory: nothing behind it is deleted.
        DifferentialCase(arguments: ["-ai", "--delete-before"], scenario: .symlinkedDirectory),
        DifferentialCase(arguments: ["-ai", "--delete-during"], scenario: .symlinkedDirectory),
        DifferentialCase(arguments: ["-ai", "--delete-after"], scenario: .symlinkedDirectory),
        DifferentialCase(arguments: ["-ain", "--delete"], scenario: .symlinkedDirectory),
        // -b --delete protects the backups (rsync's implicit "P *~"): a second run must not rotate them.
        DifferentialCase(arguments: ["-aib", "--delete"], scenario: .stale),
    ]

    @Test(arguments: deletionCases)
    func deletion(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Basis directories and backups

    static let basisCases: [DifferentialCase] = [
        DifferentialCase(
            arguments: ["-ai", "--link-dest=../prev"], scenario: .previousSnapshot,
            checks: [.linked("dst/a/b/c/d/deep.txt", "prev/a/b/c/d/deep.txt")]),
        DifferentialCase(
            arguments: ["-ai", "--link-dest={RUN}/prev"], scenario: .previousSnapshot,
            checks: [.linked("dst/a/b/c/d/deep.txt", "prev/a/b/c/d/deep.txt")]),
        DifferentialCase(
            arguments: ["-aiH", "--link-dest=../prev"], scenario: .previousSnapshot,
            checks: [.linked("dst/a/b/c/d/deep.txt", "prev/a/b/c/d/deep.txt")]),
        DifferentialCase(
            arguments: ["-ai", "--link-dest=../prev1", "--link-dest=../prev2"], scenario: .twoPreviousSnapshots,
            checks: [
                .linked("dst/a/b/c/d/deep.txt", "prev1/a/b/c/d/deep.txt"),
                .linked("dst/f4096.bin", "prev2/f4096.bin"),
            ]),
        DifferentialCase(
            arguments: ["-ai", "--compare-dest=../prev"], scenario: .previousSnapshot,
            checks: [.exists("dst/a/b/c/d/deep.txt", false), .exists("dst/f4096.bin")]),
        DifferentialCase(
            arguments: ["-ai", "--copy-dest=../prev"], scenario: .previousSnapshot,
            checks: [.exists("dst/a/b/c/d/deep.txt")]),
        DifferentialCase(arguments: ["-aii", "--copy-dest=../prev"], scenario: .previousSnapshot),
        DifferentialCase(arguments: ["-ai", "--link-dest=../prev"], scenario: .staleWithSnapshot),
        DifferentialCase(arguments: ["-ai", "--compare-dest=../prev"], scenario: .staleWithSnapshot),
        // Without -p a file sent against a reference copy takes that copy's mode.
        DifferentialCase(arguments: ["-rti", "--copy-dest=../prev"], scenario: .previousSnapshot),
        DifferentialCase(arguments: ["-rti", "--link-dest=../prev"], scenario: .previousSnapshot),
        DifferentialCase(arguments: ["-ai", "--copy-dest=../prev"], scenario: .staleWithSnapshot),
        DifferentialCase(arguments: ["-rlptDi", "-b", "--backup-dir=../bk"], scenario: .stale),  // bk/ dir modes
        DifferentialCase(arguments: ["-ai", "--link-dest=../missing"], scenario: .fresh),
        DifferentialCase(arguments: ["-aii", "--link-dest=../prev1", "--link-dest=../prev2"],
            scenario: .twoPreviousSnapshots),
        DifferentialCase(arguments: ["-aib"], scenario: .stale, checks: [.exists("dst/f4096.bin~")]),
        DifferentialCase(
            arguments: ["-ai", "--backup-dir=bak", "--suffix=.old"], scenario: .stale,
            checks: [.exists("dst/bak/f4096.bin.old")]),
        DifferentialCase(
            arguments: ["-ai", "--delete", "-b", "--backup-dir=../bak"], scenario: .stale,
            checks: [.exists("bak/extra.txt")]),
        DifferentialCase(arguments: ["-ai", "--inplace"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--no-W"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--no-W", "--inplace"], scenario: .stale),
        DifferentialCase(
            arguments: ["-ai", "--partial-dir=.p"], scenario: .partialTransfer,
            checks: [.exists("dst/.p/big.bin", false), .exists("dst/big.bin")]),
        DifferentialCase(arguments: ["-ai", "--temp-dir={XTMP}"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--temp-dir={XTMP}"], scenario: .fresh),
    ]

    @Test(arguments: basisCases)
    func basisAndBackups(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Delta transfer (--no-whole-file): same literal and matched byte counts as rsync

    static let deltaCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ai", "--no-W"], scenario: .stale),
        DifferentialCase(arguments: ["-a", "--no-W", "--stats"], scenario: .stale, output: .stats),
        DifferentialCase(arguments: ["-a", "--no-whole-file", "-B", "1024", "--stats"], scenario: .stale,
            output: .stats),
        DifferentialCase(arguments: ["-ai", "--no-W", "--inplace"], scenario: .stale),
        DifferentialCase(arguments: ["-a", "--no-W", "--inplace", "--stats"], scenario: .stale, output: .stats),
        DifferentialCase(arguments: ["-a", "--no-W", "--partial-dir=.p", "--stats"], scenario: .partialTransfer,
            output: .stats),
        DifferentialCase(arguments: ["-a", "--no-W", "--link-dest=../prev", "--stats"], scenario: .previousSnapshot,
            output: .stats),
        DifferentialCase(arguments: ["-ai", "--no-W", "-b"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--append", "--stats"], scenario: .appendable, output: .itemizeAndStats),
        DifferentialCase(arguments: ["-ai", "--append-verify", "--stats"], scenario: .appendable,
            output: .itemizeAndStats),
        DifferentialCase(arguments: ["-a", "--copy-dest=../prev", "--stats"], scenario: .previousSnapshot,
            output: .stats),
        DifferentialCase(arguments: ["-a", "--compare-dest=../prev", "--stats"], scenario: .previousSnapshot,
            output: .stats),
        DifferentialCase(arguments: ["-ai", "--no-W", "--checksum-choice=xxh3"], scenario: .stale),
    ]

    @Test(arguments: deltaCases)
    func delta(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Sources, destinations and path forms

    static let pathCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-di"], scenario: .fresh),
        DifferentialCase(arguments: ["-d"], scenario: .stale),
        DifferentialCase(arguments: ["-aiR"], operands: ["src/./a/b", "src/links", "dst/"], scenario: .fresh),
        DifferentialCase(arguments: ["-aiR"], operands: ["src/a/b", "dst/"], scenario: .fresh),
        // rsync 3.5: implied directories go as real directories, through symlinked path elements too.
        DifferentialCase(arguments: ["-aiR"], operands: ["src/link/sub/file", "dst/"], scenario: .symlinkedParents),
        DifferentialCase(arguments: ["-aiR"], operands: ["src/deep/alias/sub/file", "src/link", "dst/"],
            scenario: .symlinkedParents),
        DifferentialCase(arguments: ["-aiR"], operands: ["src/./link/sub/file", "dst/"], scenario: .symlinkedParents),
        DifferentialCase(arguments: ["-aiR"], operands: ["src/out/sub/file", "dst/"], scenario: .symlinkedParents),
        DifferentialCase(arguments: ["-aiR", "--delete"], operands: ["src/link/sub", "dst/"], scenario: .symlinkedParents),
        // -R without -r: implied directories are still sent, a named directory is skipped.
        DifferentialCase(arguments: ["-tiR"], operands: ["src/a/b/c/d/deep.txt", "dst/"], scenario: .fresh),
        DifferentialCase(arguments: ["-tiR"], operands: ["src/a/b", "src/big.bin", "dst/"], scenario: .fresh),
        DifferentialCase(arguments: ["-ti"], operands: ["src/a", "src/big.bin", "dst/"], scenario: .fresh),
        DifferentialCase(
            arguments: ["-aiR", "--no-implied-dirs", "--stats"], operands: ["src/a/b/c", "dst/"], scenario: .fresh,
            output: .stats),
        DifferentialCase(
            arguments: ["-aiR", "--no-implied-dirs"], operands: ["src/./a/b/c/d/deep.txt", "dst/"], scenario: .stale),
        DifferentialCase(arguments: ["-R", "--list-only"], operands: ["src/a/b/c/d/deep.txt"], scenario: .fresh),
        DifferentialCase(
            arguments: ["-R", "--list-only", "--no-implied-dirs"], operands: ["src/a/b/c/d/deep.txt"],
            scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--mkpath"], operands: ["src/", "dst/x/y/z/"], scenario: .fresh),
        DifferentialCase(
            arguments: ["-ai", "--mkpath"], operands: ["src/big.bin", "dst/new/dir/file.bin"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src", "dst/"], scenario: .fresh),  // no trailing slash
        DifferentialCase(arguments: ["-ai"], operands: ["src", "dst"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src", "dst"], scenario: .identical),
        DifferentialCase(arguments: ["-ai"], operands: ["src/", "dst"], scenario: .stale),
        DifferentialCase(
            arguments: ["-ai"], operands: ["src/a", "src/links", "src/big.bin", "src/with space.txt", "dst/"],
            scenario: .fresh),
        DifferentialCase(
            arguments: ["-ai"], operands: ["src/a/", "src/links/", "src/empty.txt", "dst/"], scenario: .stale),
        DifferentialCase(arguments: ["-ai"], operands: ["src/big.bin", "dst/"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src/big.bin", "src/big.bin", "copy"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src/nosuch/", "dst"], scenario: .fresh, oracleExit: 23),
        DifferentialCase(arguments: ["-ai"], operands: ["src/nosuch", "dst"], scenario: .fresh, oracleExit: 23),
        DifferentialCase(arguments: ["-av", "--copy-unsafe-links"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src/big.bin", "dst/"], scenario: .emptyDestination),
        DifferentialCase(arguments: ["-ai"], operands: ["src/big.bin", "copy.bin"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai"], operands: ["src/big.bin", "dst/existing.bin"], scenario: .existingFile),
        DifferentialCase(arguments: ["-ai"], operands: ["src/links/rel", "dst/"], scenario: .emptyDestination),
        DifferentialCase(arguments: ["-ai"], operands: ["src/fifo", "dst/"], scenario: .emptyDestination),
        // --drop-D: the receiver skips devices and specials as without -D; the nodes already there stay.
        DifferentialCase(arguments: ["-ai", "--drop-D"], scenario: .fresh),
        DifferentialCase(arguments: ["-av", "--drop-D"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--drop-D", "--delete"], scenario: .identical),
        DifferentialCase(arguments: ["-ai", "--drop-D", "--no-drop-D"], scenario: .fresh),
    ]

    @Test(arguments: pathCases)
    func paths(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Output: dry run, listing, itemize, out-format, stats

    static let outputCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ani"], scenario: .stale, checks: [.unchanged]),
        DifferentialCase(arguments: ["-ani"], scenario: .fresh, checks: [.unchanged]),
        DifferentialCase(arguments: ["-ani", "--delete"], scenario: .stale, checks: [.unchanged]),
        // rsync refuses --delete without -r or -d (exit 1); swsync must too.
        DifferentialCase(arguments: ["-n", "-v", "--delete"], scenario: .stale, oracleExit: 1, checks: [.unchanged]),
        DifferentialCase(arguments: ["-a", "-n", "-v", "--delete"], scenario: .stale, checks: [.unchanged]),
        DifferentialCase(
            arguments: ["--list-only"], operands: ["src/"], scenario: .fresh, output: .exact,
            checks: [.unchanged, .printed("big.bin")]),
        DifferentialCase(
            arguments: ["--list-only"], operands: ["src"], scenario: .fresh, output: .exact,
            checks: [.printed("src")]),
        DifferentialCase(
            arguments: ["-a", "--list-only"], operands: ["src/"], scenario: .fresh, output: .exact,
            checks: [.printed("deep.txt")]),
        DifferentialCase(
            arguments: [], operands: ["src/"], scenario: .fresh, output: .exact,
            checks: [.unchanged, .printed("big.bin")]),
        DifferentialCase(
            arguments: ["-a"], operands: ["src/"], scenario: .fresh, output: .exact,
            checks: [.unchanged, .printed("deep.txt")]),
        DifferentialCase(
            arguments: ["-a", "--list-only"], operands: ["src/"], scenario: .edgeCases, output: .exact),
        DifferentialCase(arguments: ["-aii"], scenario: .identical),
        DifferentialCase(arguments: ["-aii"], scenario: .stale),
        DifferentialCase(arguments: ["-a", "--out-format=%n %l %i"], scenario: .fresh),
        DifferentialCase(arguments: ["-a", "--out-format=%n %l %i"], scenario: .stale),
        // Not %b: it counts rsync's wire bytes (protocol overhead included), which a local copy need not mimic.
        DifferentialCase(arguments: ["-a", "--out-format=%i %n%L %l %M %B %o"], scenario: .stale),
        DifferentialCase(
            arguments: ["-a", "--stats"], scenario: .fresh, output: .stats, checks: [.printed("Number of files:")]),
        DifferentialCase(
            arguments: ["-a", "--stats", "--delete"], scenario: .stale, output: .stats,
            checks: [.printed("Number of deleted files:")]),
        DifferentialCase(arguments: ["-a", "--stats"], scenario: .identical, output: .stats),
        DifferentialCase(arguments: ["-r", "--stats"], scenario: .fresh, output: .stats),  // symlinks skipped, counted
        DifferentialCase(arguments: ["-avv"], scenario: .identical),  // "is uptodate", totals
        DifferentialCase(arguments: ["-aivv"], scenario: .identical),  // unchanged items, as with -ii
        DifferentialCase(arguments: ["-a", "--out-format=%n%L"], scenario: .fresh),  // no "created directory"
    ]

    @Test(arguments: outputCases)
    func output(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    // MARK: - Filters (the most common extra options in backup scripts)

    static let filterCases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ai", "--exclude=*.bin"], scenario: .fresh),
        DifferentialCase(arguments: ["-ai", "--delete", "--exclude=extra*"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--delete", "--delete-excluded", "--exclude=a/"], scenario: .stale),
        DifferentialCase(arguments: ["-ai", "--include=*/", "--include=*.txt", "--exclude=*"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--include=*.txt", "--exclude=*"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--exclude=/a/b", "--exclude=c/d/", "--exclude=.*"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--exclude=**/d/*", "--exclude=[bc]*", "--exclude=?ne.bin"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--exclude=a/***", "--exclude=links/*"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--exclude=*\\*", "--exclude=*[*]*", "--exclude=tab?name.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-aiF"], scenario: .filterTree),
        DifferentialCase(arguments: ["-aiFF"], scenario: .filterTree),
        DifferentialCase(arguments: ["-aiF", "--delete"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-aiC"], scenario: .filterTree),
        DifferentialCase(arguments: ["-aiC", "--delete"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--exclude-from=rules.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--include-from=more.rules", "--exclude=*.o"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "-f", "merge more.rules", "-f", "- *.bin"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "-f", "dir-merge,n- .inner", "-f", "-! */"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "-f", "- /cache/", "-f", "+ */", "-f", "-! *.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--delete", "-f", "P *.core", "-f", "- cache/tmp/"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--delete", "-f", "H *.o", "-f", "R junk.o"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--delete", "--exclude=*.o", "--exclude=cache/"], scenario: .filterTreeStale),
        DifferentialCase(
            arguments: ["-ai", "--delete", "--delete-excluded", "--exclude=*.o", "--exclude=cache/"],
            scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--delete", "-f", "-p cache/", "-f", "- *.o"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--delete", "-f", "-s *.o", "-f", "-r cache/"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ain", "--delete", "--exclude=*.bin"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-nv", "-r", "--delete", "--exclude=a/"], scenario: .filterTreeStale),
        DifferentialCase(arguments: ["-ai", "--files-from=list.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "-r", "--files-from=list.txt", "--exclude=*.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--files-from=list.txt", "--no-relative"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--from0", "--files-from=list0.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--files-from=dotted.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "-r", "--files-from=dotted.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--files-from=nested.txt"], scenario: .filterTree, oracleExit: 23),
        DifferentialCase(arguments: ["-ai", "-r", "--files-from=withdot.txt"], scenario: .filterTree, oracleExit: 23),
        DifferentialCase(arguments: ["-ai", "--exclude=**/f4096.bin", "--exclude=**/c/"], scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--from0", "--exclude-from=rules0.txt"], scenario: .filterTree),
        DifferentialCase(arguments: ["-i", "--list-only", "-r", "--exclude=*.bin", "--exclude=.*"], operands: ["src/"],
            scenario: .filterTree),
        DifferentialCase(arguments: ["-ai", "--exclude=*.txt"], operands: ["src/a", "src/empty.txt", "dst/"],
            scenario: .filterTree),
    ]

    @Test(arguments: filterCases)
    func filters(_ testCase: DifferentialCase) throws {
        try runComparing(testCase)
    }

    /// Runs a case; a documented known difference is expected to fail (and must keep failing).
    /// In the rsync-vs-rsync self-check (`SWSYNC_BIN=/usr/bin/rsync`) there is no difference to expect.
    private func runComparing(_ testCase: DifferentialCase) throws {
        try DifferentialRunner.runComparing(testCase)
    }
}
