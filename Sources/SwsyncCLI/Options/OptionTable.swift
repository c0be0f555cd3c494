import Glibc
import SyncCore

/// One rsync option: its long names, short letter, whether it takes a value, and what it does.
/// `negate` makes `--no-NAME` (and `--no-X` for the short letter) valid, as rsync's popt table does.
struct OptionSpec: Sendable {
    var names: [String]
    var short: Character?
    var takesValue: Bool
    var apply: @Sendable (inout ParsedCommandLine, String) throws -> Void
    var negate: (@Sendable (inout ParsedCommandLine) -> Void)?
}

/// rsync's option table, restricted to what swsync supports (rsync `options.c`, `long_options`).
enum OptionTable {
    typealias Apply = @Sendable (inout ParsedCommandLine, String) throws -> Void

    static func flag(
        _ names: [String], _ short: Character? = nil,
        _ set: @escaping @Sendable (inout SyncOptions, Bool) -> Void, negatable: Bool = true
    ) -> OptionSpec {
        let apply: Apply = { command, _ in set(&command.options, true) }
        var negate: (@Sendable (inout ParsedCommandLine) -> Void)?
        if negatable { negate = { command in set(&command.options, false) } }
        return OptionSpec(names: names, short: short, takesValue: false, apply: apply, negate: negate)
    }

    /// A flag whose explicit use is remembered (`--files-from` changes the defaults of `-r`, `-d`, `-R`).
    static func explicitFlag(
        _ names: [String], _ short: Character?, _ given: WritableKeyPath<ParsedCommandLine, Bool?> & Sendable,
        _ set: @escaping @Sendable (inout SyncOptions, Bool) -> Void
    ) -> OptionSpec {
        OptionSpec(names: names, short: short, takesValue: false,
            apply: { command, _ in
                set(&command.options, true)
                command[keyPath: given] = true
            },
            negate: { command in
                set(&command.options, false)
                command[keyPath: given] = false
            })
    }

    static func value(_ names: [String], _ short: Character? = nil, _ apply: @escaping Apply) -> OptionSpec {
        OptionSpec(names: names, short: short, takesValue: true, apply: apply, negate: nil)
    }

    static func integer(_ text: String, option: String) throws(SyncError) -> Int {
        guard let value = Int(text) else {
            throw SyncError.syntax("--\(option)=\(text): invalid numeric value")
        }
        return value
    }

    static func size(_ text: String, option: String) throws(SyncError) -> Int64 {
        guard let value = NumberFormat.parseSize(text) else {
            throw SyncError.syntax("--\(option)=\(text) is invalid")
        }
        return value
    }

    /// `--shard=K/N`, refused as rsync refuses a bad number: a syntax error naming the option and value.
    static func shard(_ text: String) throws(SyncError) -> Shard {
        do throws(Shard.ParseError) {
            return try Shard(parsing: text)
        } catch {
            switch error {
            case .notKOverN: throw SyncError.syntax("--shard=\(text): expected K/N, two numbers such as 2/4")
            case .noShards: throw SyncError.syntax("--shard=\(text): N must be at least 1")
            case .indexOutOfRange: throw SyncError.syntax("--shard=\(text): K must be from 1 to N")
            }
        }
    }

    static func deleteTiming(_ timing: DeleteTiming) -> Apply {
        { command, _ in
            command.deleteTimingsGiven += 1
            command.deleteTimings.insert("\(timing)")
            command.options.deleteTiming = timing
            command.options.delete = true
        }
    }

    static func alternate(_ kind: AlternateDestinationKind, _ name: String) -> OptionSpec {
        value([name]) { command, text in
            if let existing = command.options.alternateDestinationKind, existing != kind {
                throw SyncError.syntax("You may not mix --compare-dest, --copy-dest, and --link-dest.")
            }
            command.options.alternateDestinationKind = kind
            command.options.alternateDestinations.append(Array(text.utf8))
        }
    }

    static func filter(_ kind: FilterOption.Kind, _ names: [String], _ short: Character? = nil) -> OptionSpec {
        value(names, short) { command, text in command.options.filters.append(FilterOption(kind, text)) }
    }

    static let all: [OptionSpec] = [
        // Output
        OptionSpec(
            names: ["verbose"], short: "v", takesValue: false,
            apply: { command, _ in command.options.verbose += 1 },
            negate: { command in command.options.verbose = 0 }),
        flag(["quiet"], "q", { $0.quiet = $1 }),
        OptionSpec(
            names: ["itemize-changes"], short: "i", takesValue: false,
            apply: { command, _ in command.options.itemize += 1 },
            negate: { command in command.options.itemize = 0 }),
        value(["out-format", "log-format"]) { command, text in command.options.outFormat = text },
        flag(["stats"], nil, { $0.stats = $1 }),
        flag(["progress"], nil, { $0.progress = $1 }),
        OptionSpec(
            names: ["partial-progress"], short: "P", takesValue: false,
            apply: { command, _ in
                command.options.partial = true
                command.options.progress = true
            }, negate: nil),
        OptionSpec(
            names: ["human-readable"], short: "h", takesValue: false,
            apply: { command, _ in
                command.options.humanReadable = command.options.humanReadable < 2 ? 2 : 3
            },
            negate: { command in command.options.humanReadable = 0 }),
        flag(["list-only"], nil, { $0.listOnly = $1 }),
        value(["log-file"]) { command, text in command.options.logFile = text },
        value(["write-batch"]) { command, text in command.batchWrite = (false, text) },
        value(["only-write-batch"]) { command, text in command.batchWrite = (true, text) },
        value(["read-batch"]) { command, text in command.batchRead = text },
        value(["log-file-format"]) { command, text in command.options.logFileFormat = text },
        flag(["8-bit-output"], "8", { $0.eightBitOutput = $1 }),
        value(["info"]) { command, text in try InfoFlags.apply(text, to: &command) },
        value(["debug"]) { command, text in
            command.debugFlags.append(text)
            for item in try OutputFlags.parse(text, kind: .debug) {
                switch item.name {
                case "help": command.outputHelp = .debug
                case "filter": command.options.debugFilter = item.level
                case "fuzzy": command.options.debugFuzzy = item.level
                case "nstr": command.options.debugNegotiation = item.level
                case "deltasum": command.options.debugDeltasum = item.level
                case "cmd": command.options.debugCommand = item.level
                case "all":
                    command.options.debugFilter = item.level
                    command.options.debugFuzzy = item.level
                    command.options.debugNegotiation = item.level
                    command.options.debugDeltasum = item.level
                    command.options.debugCommand = item.level
                case "none":
                    command.options.debugFilter = 0
                    command.options.debugFuzzy = 0
                    command.options.debugNegotiation = 0
                    command.options.debugDeltasum = 0
                    command.options.debugCommand = 0
                default: break
                }
            }
        },
        OptionSpec(names: ["help"], short: nil, takesValue: false,
            apply: { command, _ in command.showHelp = true }, negate: nil),
        OptionSpec(names: ["version"], short: "V", takesValue: false,
            apply: { command, _ in
                command.showVersion = true
                command.versionLevel += 1
            }, negate: nil),
        OptionSpec(names: ["server"], short: nil, takesValue: false,
            apply: { command, _ in command.server = true }, negate: nil),
        OptionSpec(names: ["sender"], short: nil, takesValue: false,
            apply: { command, _ in command.serverSends = true }, negate: nil),
        flag(["server-items"], nil, { $0.serverSendsItems = $1 }, negatable: false),
        flag(["server-items-after-writes"], nil, { $0.itemsAfterWrites = $1 }, negatable: false),

        // What is sent
        OptionSpec(
            names: ["archive"], short: "a", takesValue: false,
            apply: { command, _ in
                command.options.recursive = true
                command.options.links = true
                command.options.perms = true
                command.options.times = true
                command.options.group = true
                command.options.owner = true
                command.options.devices = true
                command.options.specials = true
            }, negate: nil),
        explicitFlag(["recursive"], "r", \.recursiveGiven, { $0.recursive = $1 }),
        explicitFlag(["dirs"], "d", \.dirsGiven, { $0.dirs = $1 }),
        explicitFlag(["relative"], "R", \.relativeGiven, { $0.relative = $1 }),
        OptionSpec(names: ["implied-dirs"], short: nil, takesValue: false,
            apply: { command, _ in command.options.impliedDirs = true },
            negate: { command in command.options.impliedDirs = false }),
        flag(["mkpath"], nil, { $0.mkpath = $1 }),
        flag(["links"], "l", { $0.links = $1 }),
        flag(["copy-links"], "L", { $0.copyLinks = $1 }),
        flag(["copy-unsafe-links"], nil, { $0.copyUnsafeLinks = $1 }),
        flag(["safe-links"], nil, { $0.safeLinks = $1 }),
        flag(["copy-dirlinks"], "k", { $0.copyDirLinks = $1 }),
        flag(["keep-dirlinks"], "K", { $0.keepDirLinks = $1 }),
        flag(["hard-links"], "H", { $0.hardLinks = $1 }),
        OptionSpec(
            names: ["one-file-system"], short: "x", takesValue: false,
            apply: { command, _ in command.options.oneFileSystem += 1 },
            negate: { command in command.options.oneFileSystem = 0 }),
        flag(["ignore-missing-args"], nil, { $0.ignoreMissingArgs = $1 }),
        flag(["delete-missing-args"], nil, { $0.deleteMissingArgs = $1 }),
        flag(["prune-empty-dirs"], "m", { $0.pruneEmptyDirs = $1 }),
        OptionSpec(names: ["old-dirs", "old-d"], short: nil, takesValue: false,
            apply: { command, _ in command.oldDirs = true }, negate: nil),
        flag(["munge-links"], nil, { $0.mungeLinks = $1 }),
        // Linux keeps no creation time that a program may set: refused as Linux rsync refuses it.
        OptionSpec(names: ["crtimes"], short: "N", takesValue: false,
            apply: { _, _ in throw SyncError.syntax("This rsync does not support --crtimes (-N)") },
            negate: { _ in }),
        flag(["remove-source-files"], nil, { $0.removeSourceFiles = $1 }),
        value(["min-size"]) { command, text in
            command.options.minSize = try size(text, option: "min-size")
        },
        value(["max-size"]) { command, text in
            command.options.maxSize = try size(text, option: "max-size")
        },

        // Attributes
        flag(["perms"], "p", { $0.perms = $1 }),
        flag(["executability"], "E", { $0.executability = $1 }),
        value(["chmod"]) { command, text in
            guard let rules = ChmodRule.parseList(text) else {
                throw SyncError.syntax("Invalid argument passed to --chmod (\(text))")
            }
            command.options.chmod.append(contentsOf: rules)
        },
        flag(["times"], "t", { $0.times = $1 }),
        flag(["omit-dir-times"], "O", { $0.omitDirTimes = $1 }),
        flag(["omit-link-times"], "J", { $0.omitLinkTimes = $1 }),
        // -U twice (-UU) also opens sources with O_NOATIME, which swsync does anyway where it may.
        OptionSpec(names: ["atimes"], short: "U", takesValue: false,
            apply: { command, _ in command.options.atimes += 1 }, negate: { command in command.options.atimes = 0 }),
        // --super, --no-super and --fake-super are one setting in rsync (`am_root`): the last one given wins.
        OptionSpec(names: ["super"], short: nil, takesValue: false,
            apply: { command, _ in (command.options.superUser, command.options.fakeSuper) = (true, false) },
            negate: { command in (command.options.superUser, command.options.fakeSuper) = (false, false) }),
        OptionSpec(names: ["fake-super"], short: nil, takesValue: false,
            apply: { command, _ in (command.options.superUser, command.options.fakeSuper) = (nil, true) }, negate: nil),
        flag(["owner"], "o", { $0.owner = $1 }),
        flag(["group"], "g", { $0.group = $1 }),
        flag(["numeric-ids"], nil, { $0.numericIDs = $1 }),
        value(["usermap"]) { command, text in try setMap(&command, text, users: true, viaChown: false) },
        value(["groupmap"]) { command, text in try setMap(&command, text, users: false, viaChown: false) },
        value(["chown"]) { command, text in
            let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            if !parts[0].isEmpty { try setMap(&command, "*:" + parts[0], users: true, viaChown: true) }
            if parts.count > 1, !parts[1].isEmpty { try setMap(&command, "*:" + parts[1], users: false, viaChown: true) }
        },
        // -X twice (-XX) also copies rsync's own user.rsync.% attributes; -A implies -p.
        OptionSpec(names: ["xattrs"], short: "X", takesValue: false,
            apply: { command, _ in command.options.xattrs += 1 }, negate: { command in command.options.xattrs = 0 }),
        OptionSpec(names: ["acls"], short: "A", takesValue: false,
            apply: { command, _ in
                command.options.acls = true
                command.options.perms = true
            }, negate: { command in command.options.acls = false }),
        flag(["devices"], nil, { $0.devices = $1 }),
        flag(["specials"], nil, { $0.specials = $1 }),
        flag(["drop-D"], nil, { $0.dropDevices = $1 }),
        OptionSpec(
            names: [], short: "D", takesValue: false,
            apply: { command, _ in
                command.options.devices = true
                command.options.specials = true
            },
            negate: { command in
                command.options.devices = false
                command.options.specials = false
            }),

        // What needs updating
        flag(["checksum"], "c", { $0.checksum = $1 }),
        flag(["size-only"], nil, { $0.sizeOnly = $1 }),
        flag(["ignore-times"], "I", { $0.ignoreTimes = $1 }),
        value(["modify-window"], "@") { command, text in
            guard let window = Int64(text) else { throw SyncError.syntax("--modify-window=\(text): invalid numeric value") }
            command.options.modifyWindow = window
        },
        flag(["update"], "u", { $0.update = $1 }),
        flag(["ignore-existing"], nil, { $0.ignoreExisting = $1 }),
        flag(["existing", "ignore-non-existing"], nil, { $0.existingOnly = $1 }),
        flag(["whole-file"], "W", { $0.wholeFile = $1 }),
        OptionSpec(names: ["fuzzy"], short: "y", takesValue: false,
            apply: { command, _ in command.options.fuzzy += 1 },
            negate: { command in command.options.fuzzy = 0 }),

        // Deletion
        flag(["delete"], nil, { $0.delete = $1 }),
        value(["delete-before"], nil, deleteTiming(.before)).asFlag(),
        value(["delete-during", "del"], nil, deleteTiming(.during)).asFlag(),
        value(["delete-delay"], nil, deleteTiming(.delay)).asFlag(),
        value(["delete-after"], nil, deleteTiming(.after)).asFlag(),
        flag(["delete-excluded"], nil, {
            $0.deleteExcluded = $1
            if $1 { $0.delete = true }
        }),
        value(["max-delete"]) { command, text in
            command.options.maxDelete = try integer(text, option: "max-delete")
        },
        flag(["ignore-errors"], nil, { $0.ignoreErrors = $1 }),
        flag(["force"], nil, { $0.force = $1 }),

        // Reference directories
        alternate(.compare, "compare-dest"),
        alternate(.copy, "copy-dest"),
        alternate(.link, "link-dest"),

        // Backups
        flag(["backup"], "b", { $0.backup = $1 }),
        value(["backup-dir"]) { command, text in
            command.options.backupDir = Array(text.utf8)
            command.options.backup = true
        },
        value(["suffix"]) { command, text in command.options.suffix = Array(text.utf8) },

        // Writes
        flag(["partial"], nil, { $0.partial = $1 }),
        value(["partial-dir"]) { command, text in
            command.options.partialDir = Array(text.utf8)
            command.options.partial = true
        },
        flag(["inplace"], nil, { $0.inplace = $1 }),
        flag(["copy-devices"], nil, { $0.copyDevices = $1 }, negatable: false),
        flag(["write-devices"], nil, { $0.writeDevices = $1 }),
        flag(["delay-updates"], nil, { $0.delayUpdates = $1 }),
        flag(["append"], nil, { $0.append = $1 ? max($0.append, 1) : 0 }),
        flag(["append-verify"], nil, { $0.append = $1 ? 2 : 0 }, negatable: false),
        flag(["sparse"], "S", { $0.sparse = $1 }),
        flag(["preallocate"], nil, { $0.preallocate = $1 }),
        flag(["fsync"], nil, { $0.fsync = $1 }),
        value(["temp-dir"], "T") { command, text in command.options.tempDir = Array(text.utf8) },
        // rsync's rule for symlinks in the operator's paths (SymlinkTrust); neither goes to the peer.
        flag(["insecure-links"], nil, { $0.insecureLinks = $1 }),
        // swsync's own: a server confines itself with Landlock unless told --no-landlock (forwarded).
        flag(["landlock"], nil, { $0.landlock = $1 }),
        value(["confine-root"]) { command, text in command.confineRootGiven = text },
        flag(["dry-run"], "n", { $0.dryRun = $1 }),

        // Filters (order kept for the filter rules)
        filter(.exclude, ["exclude"]),
        filter(.include, ["include"]),
        filter(.excludeFrom, ["exclude-from"]),
        filter(.includeFrom, ["include-from"]),
        filter(.filter, ["filter"], "f"),
        value(["files-from"]) { command, text in command.options.filesFrom = text },
        flag(["from0"], "0", { $0.fromZero = $1 }),
        flag(["match-full-path"], nil, { $0.matchFullPath = $1 }),
        // swsync's own: this run's part of the top-level entries (forwarded, so the peer's half agrees).
        value(["shard"]) { command, text in command.options.shard = try shard(text) },
        OptionSpec(names: [], short: "F", takesValue: false,
            apply: { command, _ in command.options.filters.append(FilterOption(.perDirectoryFilter, "")) },
            negate: nil),
        OptionSpec(names: ["cvs-exclude"], short: "C", takesValue: false,
            apply: { command, _ in command.options.filters.append(FilterOption(.cvsExclude, "")) },
            negate: nil),

        // Delta, compression and remote
        value(["block-size"], "B") { command, text in
            guard let value = NumberFormat.parseSize(text), value >= 0, value <= 1 << 17 else {
                throw SyncError.syntax("--block-size=\(text) is invalid")
            }
            command.options.blockSize = Int(value)
        },
        flag(["compress"], "z", { $0.compress = $1 }),
        value(["compress-level", "zl"]) { command, text in
            command.options.compressLevel = try integer(text, option: "compress-level")
        },
        value(["compress-choice", "zc"]) { command, text in command.options.compressChoice = text },
        value(["checksum-choice", "cc"]) { command, text in command.options.checksumChoice = text },
        value(["skip-compress"]) { command, text in command.options.skipCompress = text },
        value(["rsh"], "e") { command, text in command.options.remoteShell = text },
        OptionSpec(names: ["ipv4"], short: "4", takesValue: false,
            apply: { command, _ in command.options.addressFamily = "-4" }, negate: nil),
        OptionSpec(names: ["ipv6"], short: "6", takesValue: false,
            apply: { command, _ in command.options.addressFamily = "-6" }, negate: nil),
        // The remote shell's pipes are always read and written as swsync needs; accepted as rsync's.
        flag(["blocking-io"], nil, { _, _ in }),
        value(["rsync-path"]) { command, text in command.options.rsyncPath = text },
        value(["copy-as"]) { command, text in command.copyAs = text },
        // --iconv=LOCAL,REMOTE: split once the whole line is read (a server takes the part after the comma).
        OptionSpec(names: ["iconv"], short: nil, takesValue: true,
            apply: { command, text in (command.iconvText, command.iconvGiven) = (text, true) },
            negate: { command in (command.iconvText, command.iconvGiven) = (nil, true) }),
        value(["remote-option"], "M") { command, text in
            guard text.hasPrefix("-") else { throw SyncError.syntax("Remote option must start with a dash: \(text)") }
            command.remoteOptions.append(text)
        },
        value(["bwlimit"]) { command, text in
            guard let value = NumberFormat.parseSize(text, defaultUnit: 1024) else {
                throw SyncError.syntax("--bwlimit=\(text) is invalid")
            }
            command.options.bandwidthLimit = value
        },
        value(["jobs"]) { command, text in
            guard let jobs = Int(text), SyncOptions.jobRange.contains(jobs) else {
                throw SyncError.syntax("--jobs=\(text): expects a number of threads from \(SyncOptions.jobRange.lowerBound) to \(SyncOptions.jobRange.upperBound)")
            }
            command.options.jobs = jobs
            command.jobsGiven = true
        },
        value(["timeout"]) { command, text in
            command.options.timeout = try integer(text, option: "timeout")
        },
        value(["contimeout"]) { command, text in
            command.options.contimeout = try integer(text, option: "contimeout")
        },

        value(["stop-after", "time-limit"]) { command, text in
            guard let deadline = StopTime.after(minutes: text, now: Int(time(nil))) else {
                throw SyncError.syntax("invalid --stop-after value: \(text)")
            }
            command.stopAt = deadline
        },
        value(["stop-at"]) { command, text in
            let now = Int(time(nil))
            guard let deadline = StopTime.at(text, now: now) else {
                throw SyncError.syntax("invalid --stop-at format: \(text)")
            }
            guard deadline > now else { throw SyncError.syntax("--stop-at time is not in the future: \(text)") }
            command.stopAt = deadline
        },

        // Accepted for rsync's command lines, with rsync's checks of their values; they change nothing
        // in swsync (its file list always streams, its protocol is its own, its arguments never pass
        // through a remote shell's word splitting, its allocations are bounded by the protocol's limits).
        flag(["inc-recursive", "i-r"], nil, { $0.allowsIncrementalRecursion = $1 }),
        OptionSpec(names: ["old-args"], short: nil, takesValue: false,
            apply: { command, _ in (command.oldArgs, command.oldArgsGiven) = (true, true) },
            negate: { command in (command.oldArgs, command.oldArgsGiven) = (false, true) }),
        OptionSpec(names: ["secluded-args", "protect-args"], short: "s", takesValue: false,
            apply: { command, _ in command.secludedArgs = true }, negate: { command in command.secludedArgs = false }),
        flag(["trust-sender"], nil, { _, _ in }, negatable: false),
        flag(["open-noatime"], nil, { _, _ in }),
        value(["protocol"]) { command, text in
            let version = try integer(text, option: "protocol")
            if version > 32 { throw SyncError(.protocolIncompatibility, "--protocol must be no more than 32 on the Client.", isPrefixed: false) }
            if version < 20 { throw SyncError(.protocolIncompatibility, "--protocol must be at least 20 on the Client.", isPrefixed: false) }
            command.ignoredOptions.append("--protocol=\(text)")
        },
        value(["checksum-seed"]) { _, text in _ = try integer(text, option: "checksum-seed") },
        value(["compress-threads"]) { _, text in _ = try integer(text, option: "compress-threads") },
        value(["outbuf"]) { _, text in
            guard let mode = text.uppercased().first, "NULBF".contains(mode) else {
                throw SyncError.syntax("Invalid --outbuf setting -- specify N, L, or B.")
            }
        },
        value(["max-alloc"]) { _, text in
            guard let size = NumberFormat.parseSize(text), size >= 0 else {
                throw SyncError.syntax("--max-alloc=\(text) is invalid")
            }
            if size != 0 && size < 1 << 20 {
                throw SyncError.syntax("--max-alloc=\(text) is too small (min: 1.00M or 0 for unlimited)")
            }
        },
        value(["stderr"]) { _, text in
            guard !text.isEmpty, ["errors", "all", "client"].contains(where: { $0.hasPrefix(text) }) else {
                throw SyncError.syntax("--stderr mode \"\(text)\" is not one of errors, all, or client")
            }
        },

        // rsync daemon mode and the client's daemon connections: recognised so that they are refused
        // before anything starts (swsync has neither yet), never taken for something else.
        daemonMode(["daemon"]), daemonMode(["config"], takesValue: true), daemonMode(["dparam"], takesValue: true),
        daemonMode(["detach"]), daemonMode(["no-detach"]),
        value(["port"]) { command, text in
            _ = try integer(text, option: "port")
            command.daemonClientOptions.append("--port")
        },
        daemonClient(["address"]), daemonClient(["sockopts"]), daemonClient(["early-input"]),
        daemonClient(["password-file"]),
        OptionSpec(names: ["motd"], short: nil, takesValue: false,
            apply: { command, _ in command.daemonClientOptions.append("--motd") },
            negate: { command in command.daemonClientOptions.append("--no-motd") }),
    ]

    /// `--usermap`/`--groupmap`, or one half of `--chown`, with rsync's refusals of a second one; each
    /// implies `-o` or `-g`, as in rsync.
    static func setMap(_ command: inout ParsedCommandLine, _ text: String, users: Bool, viaChown: Bool) throws(SyncError) {
        let option = users ? "usermap" : "groupmap"
        let previous = users ? command.userMapViaChown : command.groupMapViaChown
        if let previous {
            if viaChown {
                throw SyncError(.syntax, previous ? "You can only specify a \(users ? "user" : "group")-affecting --chown once."
                    : "--chown conflicts with prior --\(option).")
            }
            throw SyncError(.syntax, previous ? "--\(option) conflicts with prior --chown." : "You can only specify --\(option) once.")
        }
        let map = try IDMap(parsing: text, option: option)
        if users {
            command.options.userMap = map
            command.options.owner = true
            command.userMapViaChown = viaChown
        } else {
            command.options.groupMap = map
            command.options.group = true
            command.groupMapViaChown = viaChown
        }
    }

    /// An option that puts rsync in daemon mode (`--daemon`, and `--config`, `--dparam`, `--detach`, which
    /// rsync reads as daemon mode too).
    static func daemonMode(_ names: [String], takesValue: Bool = false) -> OptionSpec {
        OptionSpec(names: names, short: nil, takesValue: takesValue,
            apply: { command, _ in command.daemonModeOptions.append("--" + names[0]) }, negate: nil)
    }

    /// An option of the client's connection to a daemon (`--address`, `--sockopts`, `--password-file`, ...).
    static func daemonClient(_ names: [String]) -> OptionSpec {
        value(names) { command, _ in command.daemonClientOptions.append("--" + names[0]) }
    }

    static let byLongName: [String: OptionSpec] = {
        var table: [String: OptionSpec] = [:]
        for spec in all { for name in spec.names { table[name] = spec } }
        return table
    }()

    static let byShort: [Character: OptionSpec] = {
        var table: [Character: OptionSpec] = [:]
        for spec in all { if let short = spec.short { table[short] = spec } }
        return table
    }()
}

extension OptionSpec {
    /// A value-less option built with `value(...)`'s closure shape.
    func asFlag() -> OptionSpec {
        var copy = self
        copy.takesValue = false
        return copy
    }
}
