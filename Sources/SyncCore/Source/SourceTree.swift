/// A directory of the transfer as the sender lists it: the source directories whose entries merge into
/// it, plus children named on the command line (source arguments and `--relative` implied directories).
public final class SourceDirectory {
    public var listings: [ListedPath]
    public var named: [(name: [UInt8], child: NamedSource)] = []
    /// The device of the source directory, for `-x`.
    public var device: UInt64?

    public init(listings: [ListedPath] = [], device: UInt64? = nil) {
        self.listings = listings
        self.device = device
    }

    func namedChild(_ name: [UInt8]) -> NamedSource? {
        named.first(where: { $0.name == name })?.child
    }
}

/// One source directory whose entries a transfer directory lists: a path the user named, opened as
/// given (an operator path), or a subdirectory found by listing, opened through its parent's handle
/// without following a symlink there (unless the options follow it), so a directory swapped for a
/// symlink between the listing of its parent and its own is refused rather than followed.
public struct ListedPath {
    public var path: [UInt8]
    /// Found by listing: its name in its parent's open directory, and the root it lies below.
    var parent: (location: FileLocation, root: SourceRoot)?
    /// Reached through a symlink that `-L`, `-k` or `--copy-unsafe-links` follow: opened following it,
    /// and a root of its own for what lies below.
    var followsSymlink = false

    /// A path named by the user.
    public init(_ path: [UInt8]) { self.path = path }

    init(path: [UInt8], in parent: FileLocation, root: SourceRoot, followsSymlink: Bool) {
        self.path = path
        self.parent = (parent, root)
        self.followsSymlink = followsSymlink
    }
}

/// A child named explicitly: its source path and, for directories, what to list inside it.
public final class NamedSource {
    public var sourcePath: [UInt8]
    public var subtree: SourceDirectory?
    /// Implied directories of `--relative` list only their named children.
    public var isImplied: Bool
    /// Named with a trailing slash under `-R` (`dir/` in a `--files-from` list): its immediate
    /// contents are sent even without `-r`.
    public var listsContents = false
    /// Where the arguments naming it stand in the argument list (a name may be given more than once):
    /// rsync reports a missing one once for each, in that order.
    var namedAt: [Int] = []
    /// The part of a `-R` argument before its `/./`, which rsync enters first (`change_dir`).
    var anchor: [UInt8]?

    init(sourcePath: [UInt8], subtree: SourceDirectory?, isImplied: Bool) {
        self.sourcePath = sourcePath
        self.subtree = subtree
        self.isImplied = isImplied
    }
}

/// Turns source arguments into the transfer's root directory, following rsync's rules: `src/` sends the
/// contents of src (and src itself as "."), `src` sends src by name, `-R` keeps the path (from `/./` on).
public struct SourceTree {
    public var root = SourceDirectory()
    /// Source path of the "." entry, when a source named a directory's contents.
    public var dotSource: [UInt8]?
    /// The "." entry is only a `-R` implied directory (`./a/b` names `.` as the first element of its path,
    /// as rsync takes it): its attributes are sent, but its contents are not, so nothing is deleted there.
    public var dotIsImplied = false

    /// How many source arguments there were: with more than one the destination is a directory, even
    /// when they name the same file (rsync decides from the arguments, not from the file list).
    public private(set) var argumentCount = 0

    public init(arguments: [[UInt8]], relative: Bool) {
        argumentCount = arguments.count
        for (position, argument) in arguments.enumerated() {
            add(argument, at: position, relative: relative)
        }
    }

    private mutating func add(_ argument: [UInt8], at position: Int, relative: Bool) {
        if relative {
            addRelative(argument, at: position)
            return
        }
        let slash = PathBytes.slash
        let isContents =
            argument.last == slash || argument == PathBytes.dot
            || argument.count >= 2 && argument.suffix(2).elementsEqual([slash, UInt8(ascii: ".")])
        if isContents {
            if dotSource == nil { dotSource = argument }
            root.listings.append(ListedPath(argument))
            return
        }
        let name = PathBytes.lastComponent(argument)
        if let existing = root.namedChild(name) {
            if existing.sourcePath == argument { existing.namedAt.append(position) }
        } else {
            let named = NamedSource(sourcePath: argument, subtree: nil, isImplied: false)
            named.namedAt = [position]
            root.named.append((name, named))
        }
    }

    /// `-R`: the name keeps the whole path, or the part after `/./`; each parent is an implied directory.
    private mutating func addRelative(_ argument: [UInt8], at position: Int) {
        var base: [UInt8] = []
        var relativePart = argument
        if let cut = findDotSlash(argument) {
            base = Array(argument[0..<cut])
            relativePart = Array(argument[(cut + 3)...])
        }
        let parts = PathBytes.components(relativePart)
        if parts.isEmpty {
            if dotSource == nil || dotIsImplied { dotSource = argument }
            dotIsImplied = false
            root.listings.append(ListedPath(argument))
            return
        }
        // rsync: "./a" (no "/./" marker) has "." as its first path element, an implied directory.
        if base.isEmpty, argument.starts(with: [UInt8(ascii: "."), PathBytes.slash]), dotSource == nil {
            dotSource = PathBytes.dot
            dotIsImplied = true
        }
        var directory = root
        var sourcePrefix: [UInt8] = base.isEmpty ? (argument.first == PathBytes.slash ? [PathBytes.slash] : []) : base
        for (index, part) in parts.enumerated() {
            sourcePrefix = sourcePrefix.isEmpty || sourcePrefix == [PathBytes.slash]
                ? sourcePrefix + part : PathBytes.join(sourcePrefix, part)
            let isLast = index == parts.count - 1
            if let existing = directory.namedChild(part) {
                if isLast {
                    existing.isImplied = false
                    existing.namedAt.append(position)
                } else {
                    if existing.subtree == nil { existing.subtree = SourceDirectory() }
                    directory = existing.subtree!
                }
                continue
            }
            if isLast {
                let named = NamedSource(sourcePath: sourcePrefix, subtree: nil, isImplied: false)
                named.listsContents = argument.last == PathBytes.slash
                named.namedAt = [position]
                if !base.isEmpty { named.anchor = base }
                directory.named.append((part, named))
            } else {
                let subtree = SourceDirectory()
                let implied = NamedSource(sourcePath: sourcePrefix, subtree: subtree, isImplied: true)
                directory.named.append((part, implied))
                directory = subtree
            }
        }
    }

    /// Drops sources named on the command line that are not sent: without `-r` or `-d` a directory
    /// (rsync says "skipping directory"), and any name the rules exclude; then the `-R` implied
    /// directories left with nothing to lead to. Returns the skipped directory names in argument order.
    /// A name that cannot be read is dropped too and passed to `missing` once for each time it was named,
    /// in argument order, as rsync reports each argument (and adds no implied directories for it); one
    /// `ignoresMissing` lets pass is dropped silently below the top and left to the listing at the top
    /// (`--ignore-missing-args`, `--delete-missing-args`).
    public mutating func pruneNamedSources<FS: FileSystem>(fs: FS, followLinks: Bool, skipsDirectories: Bool,
        isExcluded: ((_ name: [UInt8], _ isDirectory: Bool) -> Bool)?,
        ignoresMissing: (SystemCallError) -> Bool = { _ in false },
        missing: (MissingSource) -> Void = { _ in }) -> [[UInt8]]
    {
        var skipped: [[UInt8]] = []
        var unreadable: [(position: Int, source: MissingSource)] = []
        func prune(_ directory: SourceDirectory, prefix: [UInt8]) {
            directory.named.removeAll { name, child in
                let relative = PathBytes.join(prefix, name)
                if let subtree = child.subtree {
                    prune(subtree, prefix: relative)
                    if child.isImplied { return subtree.named.isEmpty }
                }
                let status: FileStatus
                do throws(SystemCallError) {
                    status = followLinks ? try fs.stat(child.sourcePath) : try fs.lstat(child.sourcePath)
                } catch {
                    let source = MissingSource.of(child, error: error, fs: fs)
                    // An anchor that cannot be entered is reported even where a missing name is not.
                    if source.call == "link_stat" && ignoresMissing(error) { return !prefix.isEmpty }
                    unreadable += (child.namedAt.isEmpty ? [Int.max] : child.namedAt).map { ($0, source) }
                    return true
                }
                let isDirectory = status.kind == .directory
                if let isExcluded, isExcluded(relative, isDirectory) { return true }
                guard isDirectory && skipsDirectories else { return false }
                skipped.append(relative)
                return true
            }
        }
        prune(root, prefix: [])
        for (_, source) in unreadable.sorted(by: { $0.position < $1.position }) { missing(source) }
        return skipped
    }

    private func findDotSlash(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 3 else { return nil }
        for i in 0...(bytes.count - 3)
        where bytes[i] == PathBytes.slash && bytes[i + 1] == UInt8(ascii: ".") && bytes[i + 2] == PathBytes.slash {
            return i
        }
        return nil
    }
}

/// A named source the sender cannot read, as rsync reports it: `link_stat` of its path, or `change_dir`
/// of the part before a `-R` argument's `/./` when that cannot be entered.
public struct MissingSource {
    public let call: String
    public let path: [UInt8]
    public let error: SystemCallError

    static func of<FS: FileSystem>(_ child: NamedSource, error: SystemCallError, fs: FS) -> MissingSource {
        if let anchor = child.anchor {
            do throws(SystemCallError) { _ = try fs.stat(anchor) } catch {
                return MissingSource(call: "change_dir", path: anchor, error: error)
            }
        }
        return MissingSource(call: "link_stat", path: child.sourcePath, error: error)
    }
}
