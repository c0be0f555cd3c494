import SyncCore

/// What rsync's `--info=FLAGS` words change here: progress, name, stats, remove, nonreg, backup, skip, del, flist,
/// symsafe, and `all`/`none`;
/// the other words (see `OutputFlags`) are accepted and change nothing yet. `help` asks for the list.
enum InfoFlags {
    static func apply(_ text: String, to command: inout ParsedCommandLine) throws(SyncError) {
        for item in try OutputFlags.parse(text, kind: .info) {
            let level = item.level
            switch item.name {
            case "help":
                command.outputHelp = .info
            case "progress":
                setProgress(level, &command.options)
            case "name":
                command.options.infoNameLevel = level
            case "stats":
                command.options.infoStats = level
            case "remove":
                command.options.infoRemove = level
            case "backup":
                command.options.infoBackup = level
            case "nonreg":
                command.options.infoNonRegular = level
            case "skip":
                command.options.infoSkip = level
            case "del":
                command.options.infoDelete = level
            case "flist":
                command.options.infoFileList = level
            case "symsafe":
                command.options.infoSymlinkSafety = level
            case "all", "none":
                let all = item.name == "none" ? 0 : level
                setProgress(all, &command.options)
                command.options.infoNameLevel = all
                command.options.infoStats = all
                command.options.infoRemove = all
                command.options.infoBackup = all
                command.options.infoNonRegular = all
                command.options.infoSkip = all
                command.options.infoDelete = all
                command.options.infoFileList = all
                command.options.infoSymlinkSafety = all
            default:
                break
            }
        }
    }

    private static func setProgress(_ level: Int, _ options: inout SyncOptions) {
        options.progress = level == 1
        options.progressTotal = level >= 2
    }
}
