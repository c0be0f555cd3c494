import Foundation
import SyncTestSupport
import Testing

import Glibc

/// A bounded soak: runs one after another (locally, pushed, pulled) while a second thread keeps mutating
/// the source and the destination: files created, deleted and renamed, directories swapped for symlinks
/// to `outside/`. Every run ends with 0, 23 or 24; nothing in `outside/` is ever changed or deleted, no new
/// entry appears there, and its secret never reaches the destination. A final quiet run then leaves the
/// destination the same as the source.
@Suite(.tags(.large), .enabled(if: Tools.swsyncAvailable, "swsync binary not built"), .serialized)
struct SoakTests {
    final class Mutator: @unchecked Sendable {
        let base: String
        private let lock = NSLock()
        private var running = true
        private let done = DispatchSemaphore(value: 0)

        init(base: String) { self.base = base }

        func start() {
            Thread.detachNewThread { [self] in
                var step = 0
                while lock.withLock({ running }) {
                    step += 1
                    let side = step % 2 == 0 ? "/src" : "/dest"
                    let name = "\(side)/d\(step % 3)/m\(step % 17)"
                    switch step % 6 {
                    case 0: _ = try? writeFile(base + name, Array("mutated \(step)\n".utf8))
                    case 1: unlink(base + name)
                    case 2: _ = rename(base + name, base + name + ".moved")
                    case 3:
                        // Swap a directory with a symlink to outside, and back a moment later.
                        let directory = base + "\(side)/d\(step % 3)", link = base + "\(side)/.link"
                        let scratch = directory + ".swap"
                        _ = rename(directory, scratch)
                        _ = rename(link, directory)
                        _ = rename(scratch, link)
                    case 4: mkdir(base + "\(side)/d\(step % 3)", 0o755)
                    default: unlink(base + name + ".moved")
                    }
                    usleep(200)
                }
                done.signal()
            }
        }

        func stop() {
            lock.withLock { running = false }
            done.wait()
        }
    }

    enum Route: String, CaseIterable, Sendable { case local, push, pull }

    static let secret = Array("SECRET\n".utf8)

    /// src/d0..d2 with files, dest/, outside/ (a secret and a sentinel), and a `.link -> outside` on
    /// both sides for the mutator to swap in.
    static func tree(_ label: String) throws -> TemporaryDirectory {
        let scratch = try TemporaryDirectory(label)
        let base = scratch.path
        for directory in ["/src", "/dest", "/outside"] { try makeDirectory(base + directory) }
        for d in 0..<3 {
            try makeDirectory(base + "/src/d\(d)")
            for f in 0..<20 { try writeFile(base + "/src/d\(d)/f\(f)", Array("file \(d)/\(f)\n".utf8)) }
        }
        try writeFile(base + "/outside/secret", secret)
        try writeFile(base + "/outside/sentinel", Array("sentinel\n".utf8))
        for side in ["/src", "/dest"] { try makeSymlink(base + side + "/.link", to: base + "/outside") }
        return scratch
    }

    /// Regular files below `root`, reached without following any symlink.
    static func regularFiles(_ root: String) -> [String] {
        var found: [String] = []
        for name in (try? directoryEntries(root)) ?? [] {
            let path = root + "/" + name
            guard let status = fileStatus(path) else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: found += regularFiles(path)
            case S_IFREG: found.append(path)
            default: break
            }
        }
        return found
    }

    @Test(arguments: Route.allCases)
    func runsAgainstTreesThatKeepChangingStayInside(_ route: Route) throws {
        let host = route == .local ? nil : try RemoteHost.sharedHost()
        if route != .local { try #require(RemoteHost.isAvailable) }
        let scratch = try Self.tree("soak-\(route.rawValue)")
        let base = scratch.path
        func run(_ extra: [String] = []) throws -> ProcessOutput {
            let options = ["-a", "--delete"] + extra
            switch route {
            case .local:
                return try Subprocess.run(Tools.swsync, options + ["src/", "dest/"], in: base,
                    outputPrefix: base + "/swsync")
            case .push:
                return try host!.runSwsync(options + ["src/", host!.remote(base + "/dest/")], transport: .libssh,
                    in: base, outputPrefix: base + "/swsync")
            case .pull:
                return try host!.runSwsync(options + [host!.remote(base + "/src/"), "dest/"], transport: .libssh,
                    in: base, outputPrefix: base + "/swsync")
            }
        }
        let mutator = Mutator(base: base)
        mutator.start()
        for round in 0..<50 {
            let output = try run()
            #expect([.exited(0), .exited(23), .exited(24)].contains(output.termination),
                Comment(rawValue: "round \(round): \(output.termination)\n\(output.stderrText)"))
            let outside = try directoryEntries(base + "/outside").sorted()
            try #require(outside == ["secret", "sentinel"], "round \(round): outside/ holds \(outside)")
            #expect(try readAllBytes(base + "/outside/secret") == Self.secret)
            // The mutator keeps swapping while this looks: a walk can step through a fresh link into outside
            // itself, so only a copy (another inode) of the secret counts.
            let secretInode = fileStatus(base + "/outside/secret")?.st_ino
            for file in Self.regularFiles(base + "/dest") where fileStatus(file)?.st_ino != secretInode {
                #expect((try? readAllBytes(file)) != Self.secret, "round \(round): \(file) holds a copy of the secret")
            }
        }
        mutator.stop()
        // Quiet now: one more run makes the destination the source's copy. With -c: the mutator rewrites
        // files with the same size within the same second, which the quick check rightly takes as unchanged.
        let final = try run(["-c"])
        #expect(final.termination == .exited(0), Comment(rawValue: final.stderrText))
        let differences = TreeComparison.differences(try TreeSnapshot(base + "/src"), try TreeSnapshot(base + "/dest"),
            labels: ("src", "dest"))
        #expect(differences.isEmpty, Comment(rawValue: TreeComparison.report(differences)))
    }
}
