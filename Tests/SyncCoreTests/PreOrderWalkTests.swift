import SyncTestSupport
import Testing
@testable import SyncCore

/// A file list in memory: each listed directory's entries by the directory's name ("" for the root).
/// A name ending in "/" is a directory; it is descended into only where the tree lists it.
private struct ListingTree {
    var listings: [String: SourceListing] = [:]

    init(_ spec: [String: [String]], implied: Set<String> = []) {
        for (directory, names) in spec {
            var entries: [FileEntry] = []
            var subdirectories: [[UInt8]: SourceDirectory] = [:]
            for name in names {
                let isDirectory = name.hasSuffix("/")
                let bare = isDirectory ? String(name.dropLast()) : name
                var entry = FileEntry(name: Array(bare.utf8), sourcePath: Array(("src/" + bare).utf8),
                    status: FileStatus(mode: isDirectory ? 0o040755 : 0o100644, size: 0, mtime: FileTime(seconds: 0),
                        uid: 0, gid: 0, device: 0, inode: 0, linkCount: 1, rdev: 0))
                entry.isImpliedDirectory = implied.contains(bare)
                if isDirectory && spec[bare] != nil {
                    subdirectories[PathBytes.lastComponent(entry.name)] =
                        SourceDirectory(listings: [ListedPath(Array(("src/" + bare).utf8))])
                }
                entries.append(entry)
            }
            listings[directory] = SourceListing(entries: entries, subdirectories: subdirectories)
        }
    }

    subscript(_ name: String) -> SourceListing { listings[name]! }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Walks `tree` as the local lister does, entering every listing but those named in `skipping`.
/// Returns the subdirectories in the order the walk asked for them, and the directory entries it passed.
private func walk(_ tree: ListingTree, recursive: Bool = true, skipping: Set<String> = [])
    -> (listed: [String], passed: [String])
{
    var listed: [String] = []
    var passed: [String] = []
    var walk = PreOrderWalk(root: tree[""], recursive: recursive)
    while let subdirectory = walk.next(passing: { passed.append(text($0.name)) }) {
        let name = text(subdirectory.entry.name)
        listed.append(name)
        #expect(subdirectory.source.listings.map(\.path) == [Array(("src/" + name).utf8)])
        if !skipping.contains(name) { walk.enter(tree[name]) }
    }
    return (listed, passed)
}

private let nested = ListingTree([
    "": ["top.txt", "a/", "b/", "c/"],
    "a": ["a/x.txt", "a/d/", "a/e/"],
    "a/d": ["a/d/g/", "a/d/y.txt"],
    "a/d/g": ["a/d/g/deep.txt"],
    "a/e": [],
    "b": ["b/z.txt"],
])

@Suite("Pre-order walk of a file list", .tags(.small))
struct PreOrderWalkTests {
    @Test func depthFirstInEntryOrder() {
        let (listed, passed) = walk(nested)
        // Depth first: all of a's subtree before b, a/d's before a/e.
        #expect(listed == ["a", "a/d", "a/d/g", "a/e", "b"])
        // Every directory entry, the one without a listing (c) too, where the walk reaches it.
        #expect(passed == ["a", "a/d", "a/d/g", "a/e", "b", "c"])
    }

    @Test func aListingNotEnteredSkipsItsSubtree() {
        let (listed, passed) = walk(nested, skipping: ["a"])
        #expect(listed == ["a", "b"])
        #expect(passed == ["a", "b", "c"])
        #expect(walk(nested, skipping: ["a/d"]).listed == ["a", "a/d", "a/e", "b"])
    }

    @Test func withoutRecursionOnlyImpliedDirectoriesAreDescendedInto() {
        let tree = ListingTree(["": ["a/", "b/"], "a": ["a/d/"], "a/d": ["a/d/f.txt"], "b": []], implied: ["a"])
        #expect(walk(tree, recursive: false).listed == ["a"])
        #expect(walk(tree, recursive: true).listed == ["a", "a/d", "b"])
    }

    @Test func finishedOnceTheLastListingIsEntered() {
        var walk = PreOrderWalk(root: nested[""], recursive: true)
        var finishedAfter: [String] = []
        while let subdirectory = walk.next() {
            #expect(!walk.isFinished || text(subdirectory.entry.name) == "b")
            let name = text(subdirectory.entry.name)
            walk.enter(nested[name])
            if walk.isFinished { finishedAfter.append(name) }
        }
        #expect(finishedAfter == ["b"])
        #expect(PreOrderWalk(root: ListingTree(["": ["f.txt", "c/"]])[""], recursive: true).isFinished)
        #expect(!PreOrderWalk(root: nested[""], recursive: true).isFinished)
    }

    /// The remote sender's numbering: each listing's entries follow the previous listing's, and a
    /// subdirectory's chunk names its entry by the parent's first index plus the entry's position.
    @Test func marksNumberEachSubdirectoryByItsEntry() {
        var flat = nested[""].entries.map { text($0.name) }
        var walk = PreOrderWalk(root: nested[""], mark: 0, recursive: true)
        var indices: [String: Int] = [:]
        while let subdirectory = walk.next() {
            let name = text(subdirectory.entry.name)
            indices[name] = subdirectory.parentMark + subdirectory.position
            walk.enter(nested[name], mark: flat.count)
            flat += nested[name].entries.map { text($0.name) }
        }
        #expect(indices.count == 5)
        for (name, index) in indices { #expect(flat[index] == name) }
    }
}

/// Listings handed over in pre-order, as the sender makes them.
private final class QueuedListings: ListingSource {
    var queue: [SourceListing]
    init(_ queue: [SourceListing]) { self.queue = queue }
    func next() -> SourceListing { queue.removeFirst() }
    var listedSoFar: (entries: Int, size: Int64, complete: Bool) { (0, 0, queue.isEmpty) }
    func finish() {}
}

@Suite("Skipping a subtree of listings", .tags(.small))
struct SkipSubtreeTests {
    @Test func consumesTheWholeSubtreeAndNothingAfterIt() {
        let source = QueuedListings([nested["a"], nested["a/d"], nested["a/d/g"], nested["a/e"], nested["b"]])
        var consumed: [Int] = []
        source.skipSubtree(recursive: true) { consumed.append($0.entries.count) }
        #expect(consumed == [3, 2, 1, 0])
        #expect(source.queue.count == 1)
        #expect(source.next().entries.map { text($0.name) } == ["b/z.txt"])
    }

    @Test func aFailedListingHasNothingBelowIt() {
        var failed = SourceListing(entries: [], subdirectories: [:])
        failed.fatalError = SyncError(.fileIO, "failed to read a rules file")
        failed.hadIOError = true
        let source = QueuedListings([nested["a"], failed, nested["a/e"], nested["b"]])
        var errors: [Bool] = []
        source.skipSubtree(recursive: true) { errors.append($0.fatalError != nil) }
        // a, then its two subdirectories: the failed one in place of a/d (no subtree), then a/e.
        #expect(errors == [false, true, false])
        #expect(source.queue.count == 1)
    }
}
