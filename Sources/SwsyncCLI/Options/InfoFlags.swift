import SyncCore

/// rsync's `--info=FLAGS` (comma-separated NAME[LEVEL] items); swsync acts on progress, name and stats.
enum InfoFlags {
    static let known: Set<String> = [
        "backup", "copy", "del", "flist", "misc", "mount", "name", "nonreg", "progress", "remove", "skip",
        "stats", "symsafe", "all", "none",
    ]

    static func apply(_ text: String, to options: inout SyncOptions) throws(SyncError) {
        for item in text.split(separator: ",") {
            let name = String(item.prefix(while: { !$0.isNumber })).lowercased()
            let levelText = item.dropFirst(name.count)
            guard known.contains(name), levelText.isEmpty || Int(levelText) != nil else {
                throw .syntax("Unknown --info item: \"\(item)\"")
            }
            let level = Int(levelText) ?? 1
            switch name {
            case "progress":
                options.progress = level == 1
                options.progressTotal = level >= 2
            case "name":
                options.infoNameLevel = level
            case "remove":
                options.infoRemove = level
            case "stats":
                options.stats = level > 0
            case "none":
                options.infoNameLevel = 0
                options.infoRemove = 0
                options.progress = false
                options.progressTotal = false
            default:
                break
            }
        }
    }
}
