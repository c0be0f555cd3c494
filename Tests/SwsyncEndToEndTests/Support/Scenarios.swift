import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The scenarios of the differential tests. Each builds `src/` (the rich tree, see `Fixture.buildRichTree`) and
/// whatever else the run starts from, inside the run directory.
extension Scenario {
    /// Source only; `dst/` does not exist.
    static let fresh = Scenario(name: "fresh") { context in
        try context.buildRichSource()
    }

    /// `dst/` exists and is empty.
    static let emptyDestination = Scenario(name: "empty-dst") { context in
        try context.buildRichSource()
        try makeDirectory(context.path("dst"))
    }

    /// `dst/` is an exact copy (`cp -a`) of `src/`: with times preserved there is nothing to do.
    static let identical = Scenario(name: "identical-dst") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
    }

    /// `dst/` is an out-of-date copy with every kind of difference (see `Fixture.makeStale`).
    static let stale = Scenario(name: "stale-dst") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        try Fixture.makeStale(destination: context.path("dst"), source: context.path("src"))
    }

    /// `dst/` has entries of another type than the source: non-empty directories in place of a file, a symlink
    /// and a FIFO; a file in place of a directory; a symlink in place of a directory.
    static let typeSwapped = Scenario(name: "type-swapped-dst") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        try Fixture.makeTypeSwapped(destination: context.path("dst"))
    }

    /// `prev/` is yesterday's snapshot (the stale copy); `dst/` does not exist. For --link-dest and friends.
    static let previousSnapshot = Scenario(name: "prev-snapshot") { context in
        try context.buildRichSource()
        try context.copy("src", to: "prev")
        try Fixture.makeStale(destination: context.path("prev"), source: context.path("src"))
    }

    /// Two older snapshots, `prev1/` (stale copy) and `prev2/` (other files changed, `a/` missing), for several
    /// --link-dest directories: each unchanged file should link to the first directory holding an exact match.
    static let twoPreviousSnapshots = Scenario(name: "two-prev-snapshots") { context in
        try context.buildRichSource()
        try context.copy("src", to: "prev1")
        try Fixture.makeStale(destination: context.path("prev1"), source: context.path("src"))
        try context.copy("src", to: "prev2")
        let prev2 = context.path("prev2")
        removeTree(prev2 + "/a")
        try writeFile(prev2 + "/big.bin", Fixture.content("big.bin", size: 1_000, variant: "prev2"))
        try changeMode(prev2 + "/.hidden", 0o600)
        try writeFile(prev2 + "/café.txt", Fixture.content("café.txt", size: 21, variant: "prev2"))
        try Fixture.freezeTimes(prev2)
    }

    /// `dst/` lacks `big.bin` and `f100k.bin`, and `dst/.p/` holds a partial `big.bin` (its first 700,000 bytes)
    /// from an interrupted --partial-dir=.p transfer.
    static let partialTransfer = Scenario(name: "partial-dir") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        let dst = context.path("dst")
        unlink(dst + "/big.bin")
        unlink(dst + "/f100k.bin")
        try makeDirectory(dst + "/.p", mode: 0o700)
        let big = try readAllBytes(context.path("src/big.bin"))
        try writeFile(dst + "/.p/big.bin", Array(big.prefix(700_000)))
        try Fixture.freezeTimes(dst)
    }

    /// `dst/` holds `existing.bin`, a file that differs from `src/big.bin`, for file-to-file copies.
    static let existingFile = Scenario(name: "existing-file") { context in
        try context.buildRichSource()
        try makeDirectory(context.path("dst"))
        try writeFile(context.path("dst/existing.bin"), Fixture.content("existing", size: 3_000), mode: 0o600)
        try Fixture.freezeTimes(context.path("dst"))
    }

    /// The rich tree plus awkward names (tab, backslash, bytes that are not UTF-8, CJK, 255 bytes, glob
    /// characters), a set-uid file, times before 1970 and in 2100, and a deep chain of directories.
    static let edgeCases = Scenario(name: "edge-names") { context in
        try context.buildRichSource()
        try Fixture.addEdgeCases(to: context.path("src"))
    }

    /// The rich tree with edge names, per-directory rules files at several levels (`.rsync-filter`,
    /// `.cvsignore`, `.inner`), and rules files beside `src/` for `--exclude-from` and `merge`.
    static let filterTree = Scenario(name: "filter-tree") { context in
        try context.buildRichSource()
        try Fixture.addEdgeCases(to: context.path("src"))
        try Fixture.addFilterFiles(source: context.path("src"), runDirectory: context.path(""))
    }

    /// `filter-tree` with a stale destination that also holds extraneous files the rules match.
    static let filterTreeStale = Scenario(name: "filter-tree-stale") { context in
        try context.buildRichSource()
        try Fixture.addEdgeCases(to: context.path("src"))
        try context.copy("src", to: "dst")
        try Fixture.makeStale(destination: context.path("dst"), source: context.path("src"))
        try Fixture.addFilterFiles(source: context.path("src"), runDirectory: context.path(""))
        let dst = context.path("dst")
        try writeFile(dst + "/junk.o", Fixture.content("junk.o", size: 5))
        try writeFile(dst + "/a/b/old.bin", Fixture.content("old.bin", size: 5))
        try writeFile(dst + "/deep/1/2/gone.txt", Fixture.content("gone", size: 5))
        try makeDirectories(dst + "/cache/tmp")
        try writeFile(dst + "/cache/tmp/x.tmp", Fixture.content("x.tmp", size: 5))
        try writeFile(dst + "/cache/keep.core", Fixture.content("core", size: 5))
        try Fixture.freezeTimes(dst)
    }

    /// For `--append`: `dst/` holds, next to an exact copy, a file that is a prefix of its source (to be
    /// appended to), one longer than its source (skipped), and one whose old prefix differs (verification
    /// fails with --append-verify), all with the source's times.
    static let appendable = Scenario(name: "appendable") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        let src = context.path("src")
        let dst = context.path("dst")
        let big = try readAllBytes(src + "/big.bin")
        try writeFile(dst + "/big.bin", Array(big.prefix(1_000_000)))
        try writeFile(dst + "/f4096.bin", Fixture.content("longer", size: 5_000))
        var wrong = try readAllBytes(src + "/f100k.bin").prefix(60_000).map { $0 }
        wrong[10] ^= 0xff
        try writeFile(dst + "/f100k.bin", wrong)
        try Fixture.freezeTimes(dst)
    }

    /// `dst/a` is a symlink to `outside-dir/` (beside `dst/`), which holds files `src/a` lacks: a
    /// deletion pass must not follow the link and delete them.
    static let symlinkedDirectory = Scenario(name: "symlinked-dir") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        removeTree(context.path("dst/a"))
        try makeDirectories(context.path("outside-dir/b"))
        try writeFile(context.path("outside-dir/precious.txt"), Fixture.content("precious", size: 10))
        try writeFile(context.path("outside-dir/b/also.txt"), Fixture.content("also", size: 10))
        try makeSymlink(context.path("dst/a"), to: "../outside-dir")
        try Fixture.freezeTimes(context.path("outside-dir"))
    }

    /// Symlinked path elements in the source for `-R`: `src/link -> real`, `src/deep/alias -> ../real` (an
    /// in-tree climb), `src/out -> ../outside` (out of the source, still below the run's directory).
    static let symlinkedParents = Scenario(name: "symlinked-parents") { context in
        try makeDirectories(context.path("src/real/sub"))
        try makeDirectories(context.path("src/deep"))
        try makeDirectories(context.path("outside/sub"))
        try writeFile(context.path("src/real/sub/file"), Fixture.content("payload", size: 100))
        try writeFile(context.path("outside/sub/file"), Fixture.content("outside", size: 50))
        try makeSymlink(context.path("src/link"), to: "real")
        try makeSymlink(context.path("src/deep/alias"), to: "../real")
        try makeSymlink(context.path("src/out"), to: "../outside")
        try Fixture.freezeTimes(context.path("src"))
        try Fixture.freezeTimes(context.path("outside"))
    }

    /// `prev/` is an exact copy (yesterday's snapshot) and `dst/` a stale copy: --link-dest must replace
    /// the stale files with links into `prev/`, as rsync does, even where `dst/` already has a file.
    static let staleWithSnapshot = Scenario(name: "stale-with-snapshot") { context in
        try context.buildRichSource()
        try context.copy("src", to: "prev")
        try context.copy("src", to: "dst")
        try Fixture.makeStale(destination: context.path("dst"), source: context.path("src"))
    }

    /// Like `stale`, plus `edge-names` in the source.
    static let edgeCasesStale = Scenario(name: "edge-names-stale") { context in
        try context.buildRichSource()
        try context.copy("src", to: "dst")
        try Fixture.makeStale(destination: context.path("dst"), source: context.path("src"))
        try Fixture.addEdgeCases(to: context.path("src"))
    }
}
