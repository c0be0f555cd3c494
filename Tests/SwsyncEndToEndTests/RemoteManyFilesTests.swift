import Foundation
import SyncTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A remote run over more files than the sender lists ahead of its generator (issue 14): the generator
/// releases the files it is done with and takes its listings in steps, so the sender forgets and waits. Files
/// asked for or reported late (hard-link members linked at the end, `--delay-updates` with
/// `--remove-source-files`, deltas) must still be there; the tree and the lines are rsync's.
@Suite(.tags(.large, .differential, .remote), .enabled(if: Tools.rsyncAvailable, "reference rsync not found"))
struct RemoteManyFilesTests {
    /// 104 directories of 100 files (more than `SenderRole.lookahead` entries); hard-link groups whose members
    /// are thousands of entries apart, their first member in the destination already; a destination holding
    /// half the tree, some of it changed, and entries the source lacks. (Groups none of whose members is
    /// there are left out: rsync sends their first member when the others are in later incremental
    /// segments, swsync the last, before issue 14 as after.)
    static func prepare(_ root: String) throws {
        try writeFile(root + "/rsh.sh", Array("#!/bin/sh\nshift\nexec \"$@\"\n".utf8), mode: 0o755)
        for directory in 0..<104 {
            let name = String(format: "d%03d", directory)
            try makeDirectories(root + "/src/" + name)
            for file in 0..<100 {
                let content = Array("\(name)/f\(file) ".utf8) + Array(repeating: UInt8(file), count: file * 40)
                try writeFile(root + "/src/\(name)/f\(file)", content)
                guard directory < 52, file % 4 != 0 else { continue }
                try makeDirectories(root + "/dst/" + name)
                // Every eighth kept file differs: sent as a delta against it (with --no-whole-file).
                try writeFile(root + "/dst/\(name)/f\(file)", file % 8 == 1 ? content + Array("old".utf8) : content)
            }
            if directory % 10 == 3 {
                try makeDirectories(root + "/dst/" + name)
                try writeFile(root + "/dst/\(name)/extra", Array("extraneous".utf8))
            }
        }
        for group in 0..<12 {
            // Kept in the destination and unchanged: 4g+2 is neither a multiple of 4 nor 1 mod 8.
            let first = root + String(format: "/src/d%03d/f%d", group, 4 * group + 2)
            try makeHardLink(root + String(format: "/src/d%03d/h%d", 103 - group, group), to: first)
            try makeHardLink(root + String(format: "/src/d%03d/h%d", 50 + group, group), to: first)
        }
        try makeDirectories(root + "/dst/gone/deeper")
        try writeFile(root + "/dst/gone/deeper/old", Array("old".utf8))
        try Fixture.freezeTimes(root + "/src")
        try Fixture.freezeTimes(root + "/dst")
    }

    static let push = ["-e", "./rsh.sh", "--rsync-path={PEER}", "src/", "host:dst/"]
    static let pull = ["-e", "./rsh.sh", "--rsync-path={PEER}", "host:src/", "dst/"]

    // (Left out, as it differs from rsync before issue 14 as after: a pull with -H and --remove-source-files
    // links members rsync sends on their own.)
    @Test(arguments: [
        ["-aiH", "--delete"] + push, ["-aiH", "--delete"] + pull, ["-aiH", "--delay-updates"] + pull,
        ["-ai", "--no-whole-file", "--remove-source-files"] + push,
        ["-ai", "--no-whole-file", "--remove-source-files", "--delete-delay"] + pull,
        ["-ai", "--delay-updates", "--remove-source-files"] + pull,
        ["-aiH", "--delete-after", "--remove-source-files"] + push,
    ])
    func manyFilesLikeRsync(_ arguments: [String]) throws {
        try RsyncOptionTests.expectSameAsRsync("remote-many", arguments, prepare: Self.prepare)
    }
}
