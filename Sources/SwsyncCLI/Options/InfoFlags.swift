import SyncCore

/// What rsync's `--info=FLAGS` words change here: progress, name, stats, remove, nonreg, backup, skip, del, flist,
/// symsafe, mount, misc, and `all`/`none`;
/// the other words (see `OutputFlags`) are accepted and change nothing yet. `help` asks for the list.
enum InfoFlags {
    static func apply(_ text: String, to command: inout ParsedCommandLine) throws(SyncError) {
        for item in try OutputFlags.parse(text, kind: .info) {
            switch item.name {
            case "help":
                command.outputHelp = .info
            case "all", "none":
                let all = item.name == "none" ? 0 : item.level
                for set in levels.values { set(&command.options, all) }
            default:
                levels[item.name]?(&command.options, item.level)
            }
        }
    }

    /// The words that set a level here, each once: `all` and `none` set every one of them.
    private static let levels: [String: @Sendable (inout SyncOptions, Int) -> Void] = [
        "progress": { setProgress($1, &$0) },
        "name": { $0.infoNameLevel = $1 },
        "stats": { $0.infoStats = $1 },
        "remove": { $0.infoRemove = $1 },
        "backup": { $0.infoBackup = $1 },
        "nonreg": { $0.infoNonRegular = $1 },
        "skip": { $0.infoSkip = $1 },
        "del": { $0.infoDelete = $1 },
        "flist": { $0.infoFileList = $1 },
        "symsafe": { $0.infoSymlinkSafety = $1 },
        "mount": { $0.infoMount = $1 },
        "misc": { $0.infoMisc = $1 },
    ]

    private static func setProgress(_ level: Int, _ options: inout SyncOptions) {
        options.progress = level == 1
        options.progressTotal = level >= 2
    }
}
