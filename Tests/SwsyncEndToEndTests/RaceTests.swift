import Foundation
import SyncTestSupport
import Testing

import Glibc

/// Directories swapped for symlinks to outside while swsync runs (the attacks of rsync's 2024–2026
/// security releases). A flipper thread keeps exchanging a real directory and a symlink to `outside/`
/// under the same name, on the destination or on the source side, through many runs; whatever each run
/// reports, nothing is ever written to, deleted from or read out of `outside/`.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable, "swsync binary not built"), .serialized)
struct RaceTests {
    /// Swaps `name` (a real directory) and `other` (a symlink) again and again, re-making the
    /// directory when a run removed it.
    final class Flipper: @unchecked Sendable {
        let name: String
        let other: String
        private let lock = NSLock()
        private var running = true
        private let done = DispatchSemaphore(value: 0)

        init(_ name: String, _ other: String) {
            self.name = name
            self.other = other
        }

        func start() {
            Thread.detachNewThread { [self] in
                let scratch = name + ".flip"
                while lock.withLock({ running }) {
                    mkdir(name, 0o755)
                    _ = rename(name, scratch)
                    _ = rename(other, name)
                    _ = rename(scratch, other)
                }
                done.signal()
            }
        }

        func stop() {
            lock.withLock { running = false }
            done.wait()
        }
    }

    static let fileCount = 40

    /// src/sub/f0..., dest/, outside/ with a sentinel and a file an extraneous name would match,
    /// `dest/.sublink -> outside` owned by `owner` when swsync runs as root. `mirrored`: outside/ also
    /// holds files under the source's names (other bytes), which a backup, a basis or a hard link
    /// reached through the swapped directory would take.
    static func tree(_ label: String, owner: uid_t?, mirrored: Bool = false) throws -> TemporaryDirectory {
        let scratch = try TemporaryDirectory(label)
        let base = scratch.path
        for directory in ["/src", "/src/sub", "/dest", "/outside", "/tmpd"] { try makeDirectory(base + directory) }
        for index in 0..<fileCount {
            try writeFile(base + "/src/sub/f\(index)", Array("payload \(index)\n".utf8))
        }
        if mirrored {
            for index in 0..<fileCount { try writeFile(base + "/outside/f\(index)", Array("outside \(index)\n".utf8)) }
        }
        try writeFile(base + "/outside/sentinel", Array("outside\n".utf8))
        try writeFile(base + "/outside/extraneous", Array("outside\n".utf8))
        try makeSymlink(base + "/dest/.sublink", to: base + "/outside")
        if let owner, getuid() == 0 { _ = lchown(base + "/dest/.sublink", owner, owner) }
        return scratch
    }

    static func outsideEntries(_ base: String) throws -> [String] {
        try directoryEntries(base + "/outside").sorted()
    }

    /// Runs the `options` push `rounds` times with the flipper going; checks outside after each.
    func flipDestination(_ options: [String], owner: uid_t?, rounds: Int = 12, mirrored: Bool = false) throws {
        let scratch = try Self.tree("race-dest", owner: owner, mirrored: mirrored)
        let expected = ["extraneous", "sentinel"] + (mirrored ? (0..<Self.fileCount).map { "f\($0)" } : [])
        let base = scratch.path
        let flipper = Flipper(base + "/dest/sub", base + "/dest/.sublink")
        flipper.start()
        defer { flipper.stop() }
        for round in 0..<rounds {
            let output = try Subprocess.run(Tools.swsync,
                options.map { $0.replacingOccurrences(of: "@", with: base) } + ["src/", "dest/"],
                in: base, outputPrefix: base + "/swsync")
            #expect([.exited(0), .exited(23), .exited(24)].contains(output.termination),
                Comment(rawValue: "round \(round): \(output.termination)\n\(output.stderrText)"))
            let outside = try Self.outsideEntries(base)
            try #require(outside == expected.sorted(),
                Comment(rawValue: "round \(round) of \(options): outside/ now holds \(outside)\n\(output.stderrText)"))
            #expect(try readAllBytes(base + "/outside/sentinel") == Array("outside\n".utf8))
            if mirrored {
                for index in 0..<Self.fileCount {
                    #expect(try readAllBytes(base + "/outside/f\(index)") == Array("outside \(index)\n".utf8),
                        "round \(round) of \(options): outside/f\(index) was written")
                }
            }
        }
    }

    static let destinationOptions: [[String]] = [
        ["-a"], ["-a", "--temp-dir=@/tmpd"], ["-a", "--delete"], ["-a", "--delete-after"], ["-a", "--inplace"],
        ["-a", "-b", "--suffix=.old"],
    ]

    /// The flipped link is another user's (`nobody`), as an attacker's would be.
    @Test(arguments: destinationOptions)
    func destinationDirectorySwappedByAnotherUser(_ options: [String]) throws {
        try flipDestination(options, owner: 65534)
    }

    /// Every file sent again each round (`-I`) over what the last round left, so each run backs up,
    /// makes a delta against the old file, or writes in place through `dest/sub` while it flips;
    /// outside/ holds files under the same names, which a path re-resolved through the link would hit.
    static let rewriteOptions: [[String]] = [
        ["-a", "-I", "-b", "--suffix=.old"], ["-a", "-I", "--no-whole-file"], ["-a", "-I", "-b", "--backup-dir=@/bak"],
        ["-a", "-I", "--inplace", "-b"], ["-a", "-I", "--no-whole-file", "--partial-dir=.part"],
    ]

    @Test(arguments: rewriteOptions)
    func destinationFilesRewrittenThroughASwappedDirectory(_ options: [String]) throws {
        try flipDestination(options, owner: 65534, mirrored: true)
    }

    /// The same with the link owned by the running user: swsync's own handles confine it, not the owner rule.
    @Test func destinationDirectorySwappedByTheRunningUser() throws {
        try flipDestination(["-a", "--delete", "--temp-dir=@/tmpd"], owner: nil)
    }

    /// The link is already in place before the run (the "flip-before" form): dest/sub is the symlink.
    @Test func destinationDirectoryAlreadyASymlink() throws {
        let scratch = try Self.tree("race-dest-before", owner: 65534)
        let base = scratch.path
        try makeSymlink(base + "/dest/sub", to: base + "/outside")
        let output = try Subprocess.run(Tools.swsync, ["-a", "--delete", "src/", "dest/"], in: base, outputPrefix: base + "/swsync")
        #expect(output.termination == .exited(0), Comment(rawValue: output.stderrText))
        #expect(try Self.outsideEntries(base) == ["extraneous", "sentinel"])
        #expect(fileStatus(base + "/dest/sub").map { $0.st_mode & S_IFMT == S_IFDIR } == true,
            "the symlink was not replaced by a directory")
    }

    /// The source side: src/sub keeps being swapped with a symlink to a tree holding a secret. No run
    /// ever copies the secret.
    @Test func sourceDirectorySwappedMidRun() throws {
        let scratch = try TemporaryDirectory("race-source")
        let base = scratch.path
        for directory in ["/src", "/src/sub", "/secret", "/dest"] { try makeDirectory(base + directory) }
        for index in 0..<Self.fileCount {
            try writeFile(base + "/src/sub/f\(index)", Array("payload\n".utf8))
            try writeFile(base + "/secret/f\(index)", Array("SECRET\n".utf8))
        }
        try makeSymlink(base + "/src/.sublink", to: base + "/secret")
        let flipper = Flipper(base + "/src/sub", base + "/src/.sublink")
        flipper.start()
        defer { flipper.stop() }
        for round in 0..<12 {
            let output = try Subprocess.run(Tools.swsync, ["-a", "--delete", "src/", "dest/"], in: base,
                outputPrefix: base + "/swsync")
            #expect([.exited(0), .exited(23), .exited(24)].contains(output.termination),
                Comment(rawValue: "round \(round): \(output.termination)\n\(output.stderrText)"))
            // dest/sub may be the source's symlink, copied as a symlink (-l): only a real directory counts.
            guard fileStatus(base + "/dest/sub").map({ $0.st_mode & S_IFMT == S_IFDIR }) == true else { continue }
            for name in (try? directoryEntries(base + "/dest/sub")) ?? [] {
                let path = base + "/dest/sub/" + name
                guard fileStatus(path).map({ $0.st_mode & S_IFMT == S_IFREG }) == true else { continue }
                #expect(try readAllBytes(path) != Array("SECRET\n".utf8), "round \(round): \(name) is the secret")
            }
        }
    }

    /// A `--link-dest` or `--copy-dest` reference whose directory is swapped for a symlink to outside,
    /// where files the quick check takes for the source's wait: they are never hard-linked or copied into
    /// the destination, before the run (the link already there) or during it (the flipper).
    @Test(arguments: [false, true], ["--link-dest", "--copy-dest"])
    func referenceDirectorySwappedForASymlink(flipping: Bool, option: String) throws {
        let scratch = try TemporaryDirectory("race-link-dest")
        let base = scratch.path
        for directory in ["/src", "/src/sub", "/ref", "/outside"] { try makeDirectory(base + directory) }
        for index in 0..<Self.fileCount {
            // The same size and time, other bytes: the quick check takes outside's file for the source's.
            for (tree, text) in [("/src/sub", "same"), ("/outside", "SAME")] {
                try writeFile(base + tree + "/f\(index)", Array("\(text) \(index)\n".utf8))
                try setModificationTime(base + tree + "/f\(index)", seconds: 1_234_567_890)
            }
        }
        if flipping {
            try makeDirectory(base + "/ref/sub")
            try makeSymlink(base + "/ref/.sublink", to: base + "/outside")
        } else {
            try makeSymlink(base + "/ref/sub", to: base + "/outside")
        }
        let flipper = flipping ? Flipper(base + "/ref/sub", base + "/ref/.sublink") : nil
        flipper?.start()
        defer { flipper?.stop() }
        for round in 0..<(flipping ? 12 : 1) {
            _ = try? Subprocess.run("/bin/rm", ["-rf", base + "/dst"], in: base, outputPrefix: nil)
            let output = try Subprocess.run(Tools.swsync, ["-a", "\(option)=\(base)/ref", "src/", "dst/"], in: base,
                outputPrefix: base + "/swsync")
            #expect([.exited(0), .exited(23), .exited(24)].contains(output.termination),
                Comment(rawValue: "round \(round): \(output.stderrText)"))
            for index in 0..<Self.fileCount {
                let copy = fileStatus(base + "/dst/sub/f\(index)"), outside = fileStatus(base + "/outside/f\(index)")
                #expect(copy != nil && copy?.st_ino != outside?.st_ino,
                    "round \(round): dst/sub/f\(index) is outside's file, linked through the swapped reference")
                #expect((try? readAllBytes(base + "/dst/sub/f\(index)")) == Array("same \(index)\n".utf8),
                    "round \(round): dst/sub/f\(index) holds outside's bytes, read through the swapped reference")
            }
        }
    }
}
