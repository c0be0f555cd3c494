import Glibc
import SyncCore
import SyncPlatform
import SyncProtocol

/// The filter rules of a run, built the same way on both ends of a remote one: the client reads the rules
/// files (`--exclude-from`, `--include-from`, `merge`) and sends them in its `RunSetup`; the server builds
/// its list from what arrived, never from its own disk nor from its command line.
public enum RunFilters {
    /// The rules of `options` (nil when there are none), with `load` reading the rules files; `sources`
    /// give the transfer root for rules with the `/` modifier.
    public static func makeList(options: SyncOptions, sources: [[UInt8]], load: FilterFileLoader)
        throws(SyncError) -> FilterList?
    {
        var rules = options.filters
        // rsync (options.c): backups kept beside the files would look extraneous to --delete, so
        // `-b --delete` without --backup-dir protects them with an implicit "P *SUFFIX" rule.
        if options.backup && options.backupDir == nil && (options.delete || options.deleteTiming != nil)
            && !options.deleteExcluded
        {
            rules.append(FilterOption(.filter, "P *" + String(decoding: options.effectiveSuffix, as: UTF8.self)))
        }
        // rsync (compat.c): a relative --partial-dir (and --delay-updates' `.~tmp~`) is neither sent nor
        // deleted, unless the directory around it goes: an implicit perishable exclude, after the user's.
        if let partialDir = options.partialDir, partialDir.first != PathBytes.slash {
            rules.append(FilterOption(.filter, "-p " + String(decoding: partialDir, as: UTF8.self) + "/"))
        }
        guard !rules.isEmpty else { return nil }
        var configuration = FilterConfiguration()
        configuration.fromZero = options.fromZero
        configuration.deleteExcluded = options.deleteExcluded
        configuration.matchFullPath = options.matchFullPath
        if let value = getenv("CVSIGNORE") { configuration.cvsIgnoreEnvironment = Array(String(cString: value).utf8) }
        // For -C, and for a `-C`/`:C` rule anywhere in the rules or their files (known only once parsed).
        if let home = getenv("HOME") {
            configuration.homeCVSIgnore = try? PosixFileSystem().readFile(Array((String(cString: home) + "/.cvsignore").utf8))
        }
        if let first = sources.first {
            // Rules with the `/` modifier match absolute paths: the transfer root's.
            let fs = PosixFileSystem()
            let isContents = first.last == PathBytes.slash || first == PathBytes.dot
            configuration.absoluteRoot = fs.absolute(isContents ? first : PathBytes.parent(first))
        }
        return try FilterList(options: rules, configuration: configuration, load: load)
    }

    /// The client's setup: its filter options in order, and every rules file building them reads (read
    /// once, through `load`, so `-` for standard input works).
    public static func setup(options: SyncOptions, sources: [[UInt8]], load: FilterFileLoader)
        throws(SyncError) -> RunSetup
    {
        var setup = RunSetup(rules: options.filters.map { RunSetup.Rule(RunSetup.RuleKind($0.kind), Array($0.value.utf8)) })
        let recorder = { (path: [UInt8]) throws(SyncError) -> [UInt8]? in
            let content = try load(path)
            if let content, setup.file(named: path) == nil { setup.files.append(RunSetup.File(name: path, content: content)) }
            return content
        }
        _ = try makeList(options: options, sources: sources, load: recorder)
        return setup
    }

    /// The server's side: `options` get the setup's rules and the list built from the files the client
    /// read. A file the rules name that the client did not send is refused as a protocol error.
    public static func apply(_ setup: RunSetup, to options: inout SyncOptions, sources: [[UInt8]]) throws(SyncError) {
        options.filters = setup.rules.map { FilterOption($0.kind.optionKind, String(decoding: $0.value, as: UTF8.self)) }
        options.filterList = try makeList(options: options, sources: sources) { (path) throws(SyncError) -> [UInt8]? in
            guard let content = setup.file(named: path) else {
                throw SyncError(.streamIO, "protocol stream: the rules name \(OutputEscaper.escape(path)), which the client did not send")
            }
            return content
        }
    }
}

extension RunSetup.RuleKind {
    init(_ kind: FilterOption.Kind) {
        switch kind {
        case .filter: self = .filter
        case .include: self = .include
        case .exclude: self = .exclude
        case .includeFrom: self = .includeFrom
        case .excludeFrom: self = .excludeFrom
        case .perDirectoryFilter: self = .perDirectoryFilter
        case .cvsExclude: self = .cvsExclude
        }
    }

    var optionKind: FilterOption.Kind {
        switch self {
        case .filter: return .filter
        case .include: return .include
        case .exclude: return .exclude
        case .includeFrom: return .includeFrom
        case .excludeFrom: return .excludeFrom
        case .perDirectoryFilter: return .perDirectoryFilter
        case .cvsExclude: return .cvsExclude
        }
    }
}
