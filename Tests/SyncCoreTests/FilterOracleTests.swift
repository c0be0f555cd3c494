import SyncTestSupport
import Testing
@testable import SyncCore

/// Runs the rule sets in `FilterOracleData.swift` through FilterList and compares with what rsync 3.x chose.
///
/// The data was recorded by building each fixture tree in a temp dir and running
/// `rsync -rn -i --out-format=%n RULES src/ dst/` (and `--delete` with `*deleting` lines for the receiver side);
/// the tests themselves never run rsync. The traversal below does what rsync's sender and deleter do: enter a
/// directory (reading its per-directory files), check each entry, skip excluded ones without descending.
@Suite("Filter rules against rsync's choices", .tags(.small))
struct FilterOracleTests {
    struct Options {
        var filters: [FilterOption] = []
        var configuration = FilterConfiguration()
    }

    static func options(_ args: [[UInt8]]) -> Options {
        var result = Options()
        result.configuration.absoluteRoot = Array("/tmp/fgen/w/src".utf8)
        for arg in args {
            let text = String(decoding: arg, as: UTF8.self)
            if let value = text.dropPrefix("--exclude=") {
                result.filters.append(FilterOption(.exclude, value))
            } else if let value = text.dropPrefix("--include=") {
                result.filters.append(FilterOption(.include, value))
            } else if let value = text.dropPrefix("-f") {
                result.filters.append(FilterOption(.filter, value))
            } else if text == "-F" {
                result.filters.append(FilterOption(.perDirectoryFilter, ""))
            } else if text == "-FF" {
                result.filters.append(FilterOption(.perDirectoryFilter, ""))
                result.filters.append(FilterOption(.perDirectoryFilter, ""))
            } else if text == "-C" {
                result.filters.append(FilterOption(.cvsExclude, ""))
            } else if text == "--delete-excluded" {
                result.configuration.deleteExcluded = true
            } else {
                Issue.record("unknown test argument \(text)")
            }
        }
        return result
    }

    /// A directory tree as "path" / "dir/" entries.
    struct Tree {
        var children: [[UInt8]: [(name: [UInt8], isDirectory: Bool)]] = [:]

        init(_ paths: [[UInt8]]) {
            for raw in paths {
                let isDirectory = raw.last == UInt8(ascii: "/")
                let path = isDirectory ? Array(raw.dropLast()) : raw
                let parent = PathBytes.parent(path)
                children[parent == PathBytes.dot ? [] : parent, default: []].append((path, isDirectory))
            }
        }

        func entries(_ directory: [UInt8]) -> [(name: [UInt8], isDirectory: Bool)] { children[directory] ?? [] }
    }

    static func fileLoader(_ files: [[UInt8]: [UInt8]]) -> FilterFileLoader {
        { (path: [UInt8]) throws(SyncError) -> [UInt8]? in files[path] }
    }

    /// The sender's walk: returns the selected paths, directories with a trailing slash.
    static func select(_ tree: Tree, _ list: FilterList, files: [[UInt8]: [UInt8]]) throws -> [[UInt8]] {
        var list = list
        var selected: [[UInt8]] = []
        func walk(_ directory: [UInt8]) throws {
            try list.enterDirectory(directory, load: fileLoader(files))
            defer { list.leaveDirectory() }
            for entry in tree.entries(directory) {
                if list.isExcluded(entry.name, isDirectory: entry.isDirectory, side: .sender) { continue }
                if entry.isDirectory {
                    selected.append(entry.name + [UInt8(ascii: "/")])
                    try walk(entry.name)
                } else {
                    selected.append(entry.name)
                }
            }
        }
        try walk([])
        return selected.sorted { $0.lexicographicallyPrecedes($1) }
    }

    static func sortedBytes(_ paths: [[UInt8]]) -> [[UInt8]] { paths.sorted { $0.lexicographicallyPrecedes($1) } }

    @Test(arguments: FilterOracle.mainCases)
    func mainTree(_ oracle: OracleCase) throws {
        let setup = Self.options(oracle.args)
        let list = try FilterList(options: setup.filters, configuration: setup.configuration,
            load: Self.fileLoader([:]))
        let selected = try Self.select(Tree(FilterOracle.mainTree), list, files: [:])
        #expect(selected.map { OutputEscaper.escape($0) } == Self.sortedBytes(oracle.selected).map { OutputEscaper.escape($0) })
    }

    @Test(arguments: FilterOracle.perDirectoryCases)
    func perDirectoryTree(_ oracle: OracleCase) throws {
        let setup = Self.options(oracle.args)
        let files = FilterOracle.perDirectoryFiles
        let list = try FilterList(options: setup.filters, configuration: setup.configuration,
            load: Self.fileLoader(files))
        let selected = try Self.select(Tree(FilterOracle.perDirectoryTree), list, files: files)
        #expect(selected.map { OutputEscaper.escape($0) } == Self.sortedBytes(oracle.selected).map { OutputEscaper.escape($0) })
    }

    /// rsync's deleter (`delete_in_dir`, `delete_item`): extra destination entries are deleted unless a
    /// receiver-side rule protects them; inside a directory being deleted perishable rules are ignored, and a
    /// directory that keeps a protected entry is not removed.
    @Test(arguments: FilterOracle.deleteCases)
    func deletion(_ oracle: OracleCase) throws {
        let setup = Self.options(oracle.args)
        let list = try FilterList(options: setup.filters, configuration: setup.configuration,
            load: Self.fileLoader([:]))
        let sent = Set(try Self.select(Tree(FilterOracle.deleteSource), list, files: [:]))
        let destination = Tree(FilterOracle.deleteDestination)
        var deleted: [[UInt8]] = []
        func deleteItem(_ name: [UInt8], isDirectory: Bool) -> Bool {
            guard isDirectory else {
                deleted.append(name)
                return true
            }
            var emptied = true
            for entry in destination.entries(name) {
                if list.isExcluded(entry.name, isDirectory: entry.isDirectory, side: .receiver,
                    ignorePerishable: true)
                {
                    emptied = false
                    continue
                }
                if !deleteItem(entry.name, isDirectory: entry.isDirectory) { emptied = false }
            }
            if emptied { deleted.append(name + [UInt8(ascii: "/")]) }
            return emptied
        }
        func walk(_ directory: [UInt8]) {
            for entry in destination.entries(directory) {
                let key = entry.isDirectory ? entry.name + [UInt8(ascii: "/")] : entry.name
                if sent.contains(key) {
                    if entry.isDirectory { walk(entry.name) }
                    continue
                }
                if list.isExcluded(entry.name, isDirectory: entry.isDirectory, side: .receiver) { continue }
                _ = deleteItem(entry.name, isDirectory: entry.isDirectory)
            }
        }
        walk([])
        #expect(Self.sortedBytes(deleted).map { OutputEscaper.escape($0) }
            == Self.sortedBytes(oracle.selected).map { OutputEscaper.escape($0) })
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
