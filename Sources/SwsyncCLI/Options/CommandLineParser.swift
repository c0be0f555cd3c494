import Glibc
import SyncCharset
import SyncCore

/// Parses argv with rsync's grammar: bundled short options (`-avz`), values as `--opt=v`, `--opt v`,
/// `-e v` or `-ev`, `--no-OPTION` negations, options anywhere before `--`, and `-h` alone as `--help`.
public enum CommandLineParser {
    public static func parse(_ arguments: [String]) throws(SyncError) -> ParsedCommandLine {
        var command = ParsedCommandLine()
        var index = 0
        var onlyPositional = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositional || argument == "-" || !argument.hasPrefix("-") {
                command.positional.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositional = true
                continue
            }
            if argument.hasPrefix("--") {
                try parseLong(argument, arguments: arguments, index: &index, command: &command)
            } else {
                try parseShortBundle(argument, arguments: arguments, index: &index, command: &command)
            }
        }
        if command.sawBareH && command.otherOptionsSeen == 0 && command.positional.isEmpty {
            command.showHelp = true
        }
        try validate(&command)
        return command
    }

    private static func parseLong(
        _ argument: String, arguments: [String], index: inout Int, command: inout ParsedCommandLine
    ) throws(SyncError) {
        let body = argument.dropFirst(2)
        let name: String
        var value: String?
        if let equals = body.firstIndex(of: "=") {
            name = String(body[..<equals])
            value = String(body[body.index(after: equals)...])
        } else {
            name = String(body)
        }
        command.otherOptionsSeen += 1
        if let spec = OptionTable.byLongName[name] {
            if spec.takesValue {
                if value == nil {
                    guard index < arguments.count else { throw .syntax("\(argument): missing argument") }
                    value = arguments[index]
                    index += 1
                }
                try applying(spec, &command, value!)
            } else {
                guard value == nil else { throw .syntax("\(argument): option does not take an argument") }
                try applying(spec, &command, "")
            }
            return
        }
        if name.hasPrefix("no-") {
            let positive = String(name.dropFirst(3))
            let spec = OptionTable.byLongName[positive]
                ?? (positive.count == 1 ? OptionTable.byShort[positive.first!] : nil)
            if let spec, let negate = spec.negate, value == nil {
                negate(&command)
                command.optionWords.append((spec.names.first ?? String(spec.short!), "--no-" + positive))
                return
            }
        }
        throw .syntax("\(argument): unknown option")
    }

    private static func parseShortBundle(
        _ argument: String, arguments: [String], index: inout Int, command: inout ParsedCommandLine
    ) throws(SyncError) {
        let letters = Array(argument.dropFirst())
        var position = 0
        while position < letters.count {
            let letter = letters[position]
            position += 1
            guard let spec = OptionTable.byShort[letter] else {
                throw .syntax("\(argument): unknown option")
            }
            if letter == "h" && letters.count == 1 {
                command.sawBareH = true
            } else {
                command.otherOptionsSeen += 1
            }
            if spec.takesValue {
                var value: String
                if position < letters.count {
                    value = String(letters[position...])
                    if value.hasPrefix("=") { value.removeFirst() }
                } else {
                    guard index < arguments.count else { throw .syntax("\(argument): missing argument") }
                    value = arguments[index]
                    index += 1
                }
                try applying(spec, &command, value)
                return
            }
            try applying(spec, &command, "")
        }
    }

    private static func applying(_ spec: OptionSpec, _ command: inout ParsedCommandLine, _ value: String)
        throws(SyncError)
    {
        let name = spec.names.first ?? String(spec.short!)
        let word = spec.names.isEmpty ? "-\(spec.short!)" + value : "--" + name + (spec.takesValue ? "=" + value : "")
        command.optionWords.append((name, word))
        do {
            try spec.apply(&command, value)
        } catch let error as SyncError {
            throw error
        } catch {
            throw .syntax("\(error)")
        }
    }

    /// Cross-option checks rsync makes after parsing (rsync `options.c`, `server_options` prelude).
    /// rsync's checks of `--checksum-choice` and `--compress-choice` (exit 4 for a
    /// name it does not know; rsync names we do not implement are refused the same way, not ignored).
    private static func validateDeltaChoices(_ options: SyncOptions) throws(SyncError) {
        if let names = options.checksumChoice {
            // rsync takes "TRANSFER,FILE"; both must be known.
            for name in names.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            where ChecksumChoice(name: name) == nil && name != "auto" {
                throw SyncError(.unsupported, "unknown checksum name: \(name)")
            }
        }
        if let name = options.compressChoice {
            let known = name == "auto" || name == "none" || name == "zlibx" || CompressionChoice(name: name) != nil
            guard known else { throw SyncError(.unsupported, "unknown compress name: \(name)") }
        }
        // rsync clamps an out-of-range --compress-level to the algorithm's range; so will the compressor.
    }

    /// An absolute path without ".", "..", empty components or a trailing slash; nil for "/" (no
    /// confinement). Its symlinks are resolved when the file system takes it (`PosixFileSystem.init`).
    static func normalisedRoot(_ root: String) -> [UInt8]? {
        var components: [Substring] = []
        for component in root.split(separator: "/") where component != "." {
            if component == ".." { _ = components.popLast() } else { components.append(component) }
        }
        guard !components.isEmpty else { return nil }
        return Array(("/" + components.joined(separator: "/")).utf8)
    }

    private static func validate(_ command: inout ParsedCommandLine) throws(SyncError) {
        // rsync: RSYNC_OLD_ARGS (a number) stands for --old-args on a client given neither it nor -s.
        if !command.oldArgsGiven && !command.server && command.secludedArgs != true,
            let value = getenv("RSYNC_OLD_ARGS"), value.pointee != 0
        {
            command.oldArgs = atoi(value) != 0
        }
        if command.oldArgs && command.secludedArgs == true {
            throw .syntax("--secluded-args conflicts with --old-args.")
        }
        var options = command.options
        // rsync: RSYNC_ICONV stands for --iconv on a client given neither it nor --no-iconv, nor -s.
        if !command.iconvGiven && !command.server && command.secludedArgs != true,
            let value = getenv("RSYNC_ICONV"), value.pointee != 0
        {
            command.iconvText = String(cString: value)
        }
        if let text = command.iconvText, let spec = IconvSpec(text, isServer: command.server) {
            (options.charset, options.peerCharset) = (spec.local, spec.remote)
        } else {
            (options.charset, options.peerCharset) = (nil, nil)
        }
        // --shard hashes each side's own bytes of a name; converted names would have two owners.
        if options.shard != nil && options.charset != nil {
            throw .syntax("--shard cannot be used with --iconv")
        }
        // A batch keeps no shard: its replay's --delete would take the other shards' top-level names.
        if options.shard != nil && (command.batchWrite != nil || command.batchRead != nil) {
            throw .syntax("--shard cannot be used with --write-batch, --only-write-batch or --read-batch")
        }
        // rsync treats --delete-delay as a kind of --delete-during, so that pair is allowed.
        if command.deleteTimings == ["during", "delay"] {
            options.deleteTiming = .delay
        } else if command.deleteTimingsGiven > 1 {
            throw .syntax("You may not combine multiple --delete-WHEN options.")
        }
        if let suffix = options.suffix, suffix.contains(PathBytes.slash) {
            throw .syntax("--suffix cannot contain slashes: \(String(decoding: suffix, as: UTF8.self))")
        }
        if options.backup && options.backupDir == nil && options.effectiveSuffix.isEmpty {
            throw .syntax("--suffix cannot be empty without --backup-dir")
        }
        // The spellings of the destination; other names for it are refused where it is (the generator).
        if BackupLocation.overwritesOriginals(options), BackupLocation.spellsDestination(options.backupDir!) {
            throw .syntax(BackupLocation.sameAsDestination)
        }
        if options.sizeOnly && options.checksum { options.sizeOnly = false }
        if options.fakeSuper && options.xattrs > 1 { throw .syntax("--fake-super conflicts with -XX") }
        try validateDeltaChoices(options)
        if let root = command.confineRootGiven {
            guard root.hasPrefix("/") else { throw .syntax("--confine-root must be an absolute path") }
            guard !options.insecureLinks else { throw .syntax("--insecure-links cannot be combined with --confine-root") }
            options.confineRoot = normalisedRoot(root)
        }
        if let list = options.filesFrom {
            // rsync's checks of a list named on the remote end (`HOST:FILE`, `:FILE`).
            switch FilesFromLocation(list) {
            case .remote where command.server:
                throw .syntax("The --files-from sent to the server cannot specify a host.")
            case .remote(_, let path) where path == "-":
                throw .syntax("Invalid --files-from remote filename")
            default:
                break
            }
            // rsync: --files-from implies -R and -d, and -a no longer implies -r.
            options.recursive = command.recursiveGiven ?? false
            options.dirs = command.dirsGiven ?? true
            options.relative = command.relativeGiven ?? true
        }
        // rsync `options.c`: backups made in place would change directory times, so they are omitted.
        if options.backup && options.backupDir == nil { options.omitDirTimes = true }
        if command.oldDirs {
            options.filters.append(FilterOption(.filter, "- /*/*"))
            options.recursive = true
        }
        if options.dirs && options.recursive { options.dirs = false }
        if options.copyLinks { options.links = true }
        if options.append > 0 { options.inplace = true }  // rsync: --append implies --inplace
        if options.writeDevices { options.inplace = true }  // and so does --write-devices
        // rsync: --delay-updates keeps the finished files in the partial directory, `.~tmp~` by default;
        // --partial without a directory takes RSYNC_PARTIAL_DIR (a client only).
        if options.delayUpdates && options.partialDir == nil { options.partialDir = Array(".~tmp~".utf8) }
        if options.partial && options.partialDir == nil && !command.server,
            let value = getenv("RSYNC_PARTIAL_DIR"), value.pointee != 0
        {
            options.partialDir = Array(String(cString: value).utf8)
        }
        options.partialDir = options.partialDir.map { PathBytes.trimmingTrailingSlashes($0) }
        if options.partialDir == [] || options.partialDir == PathBytes.dot { options.partialDir = nil }
        if options.partialDir != nil { options.partial = true }
        if options.inplace && options.partialDir != nil {
            throw .syntax("--\(options.append > 0 ? "append" : "inplace") cannot be used with --\(options.delayUpdates ? "delay-updates" : "partial-dir")")
        }
        if options.deleteTiming != nil || options.delete {
            if !options.recursive && !options.dirs {
                throw .syntax("--delete does not work without --recursive (-r) or --dirs (-d).")
            }
        }
        if options.maxDelete != nil, options.maxDelete! < 0 { options.maxDelete = 0 }
        command.options = options
    }
}
