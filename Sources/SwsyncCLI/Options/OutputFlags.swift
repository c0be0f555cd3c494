import SyncCore

/// rsync's `--info=FLAGS` and `--debug=FLAGS` words: a name (any case) with an optional level (`name2`;
/// `name0` silences), `all`/`none`, and `help` for the list. The tables are rsync 3.5's, so every word an
/// rsync command line uses is understood; `InfoFlags` says what each `--info` word changes here.
enum OutputFlags {
    struct Word {
        var name: String
        var help: String
    }

    enum Kind: String {
        case info, debug

        var words: [Word] { self == .info ? OutputFlags.infoWords : OutputFlags.debugWords }
        /// rsync's "Options added at each level of verbosity" lines.
        var levels: [String] { self == .info ? OutputFlags.infoLevels : OutputFlags.debugLevels }
    }

    static let infoWords: [Word] = [
        Word(name: "BACKUP", help: "Mention files backed up"),
        Word(name: "COPY", help: "Mention files copied locally on the receiving side"),
        Word(name: "DEL", help: "Mention deletions on the receiving side"),
        Word(name: "FLIST", help: "Mention file-list receiving/sending (levels 1-2)"),
        Word(name: "MISC", help: "Mention miscellaneous information (levels 1-2)"),
        Word(name: "MOUNT", help: "Mention mounts that were found or skipped"),
        Word(name: "NAME", help: "Mention 1) updated file/dir names, 2) unchanged names"),
        Word(name: "NONREG", help: "Mention skipped non-regular files (default 1, 0 disables)"),
        Word(name: "PROGRESS", help: "Mention 1) per-file progress or 2) total transfer progress"),
        Word(name: "REMOVE", help: "Mention files removed on the sending side"),
        Word(name: "SKIP", help: "Mention files skipped due to transfer overrides (levels 1-2)"),
        Word(name: "STATS", help: "Mention statistics at end of run (levels 1-3)"),
        Word(name: "SYMSAFE", help: "Mention symlinks that are unsafe"),
    ]
    static let infoLevels = ["0) NONREG", "1) COPY,DEL,FLIST,MISC,NAME,STATS,SYMSAFE", "2) BACKUP,MISC2,MOUNT,NAME2,REMOVE,SKIP"]

    static let debugWords: [Word] = [
        Word(name: "ACL", help: "Debug extra ACL info"),
        Word(name: "BACKUP", help: "Debug backup actions (levels 1-2)"),
        Word(name: "BIND", help: "Debug socket bind actions"),
        Word(name: "CHDIR", help: "Debug when the current directory changes"),
        Word(name: "CONNECT", help: "Debug connection events (levels 1-2)"),
        Word(name: "CMD", help: "Debug commands+options that are issued (levels 1-2)"),
        Word(name: "DEL", help: "Debug delete actions (levels 1-3)"),
        Word(name: "DELTASUM", help: "Debug delta-transfer checksumming (levels 1-4)"),
        Word(name: "DUP", help: "Debug weeding of duplicate names"),
        Word(name: "EXIT", help: "Debug exit events (levels 1-3)"),
        Word(name: "FILTER", help: "Debug filter actions (levels 1-3)"),
        Word(name: "FLIST", help: "Debug file-list operations (levels 1-4)"),
        Word(name: "FUZZY", help: "Debug fuzzy scoring (levels 1-2)"),
        Word(name: "GENR", help: "Debug generator functions"),
        Word(name: "HASH", help: "Debug hashtable code"),
        Word(name: "HLINK", help: "Debug hard-link actions (levels 1-3)"),
        Word(name: "ICONV", help: "Debug iconv character conversions (levels 1-2)"),
        Word(name: "IO", help: "Debug I/O routines (levels 1-4)"),
        Word(name: "NSTR", help: "Debug negotiation strings"),
        Word(name: "OWN", help: "Debug ownership changes in users & groups (levels 1-2)"),
        Word(name: "PROTO", help: "Debug protocol information"),
        Word(name: "RECV", help: "Debug receiver functions"),
        Word(name: "SEND", help: "Debug sender functions"),
        Word(name: "TIME", help: "Debug setting of modified times (levels 1-2)"),
    ]
    static let debugLevels = [
        "2) BIND,CONNECT,CMD,DEL,DELTASUM,DUP,FILTER,FLIST,ICONV",
        "3) ACL,BACKUP,CONNECT2,DEL2,DELTASUM2,EXIT,FILTER2,FLIST2,FUZZY,GENR,OWN,RECV,SEND,TIME",
        "4) CMD2,DEL3,DELTASUM3,EXIT2,FLIST3,ICONV2,OWN2,PROTO,TIME2",
        "5) CHDIR,DELTASUM4,FLIST4,FUZZY2,HASH,HLINK",
    ]

    /// One word of the list, read: `name` is lower case ("all", "none", "help" included).
    struct Item: Equatable {
        var name: String
        var level: Int
    }

    /// Reads `text` (comma-separated) with rsync's refusal of a word it does not know.
    static func parse(_ text: String, kind: Kind) throws(SyncError) -> [Item] {
        var items: [Item] = []
        for word in text.split(separator: ",") {
            let given = word.prefix(while: { !$0.isNumber })
            let name = given.lowercased()
            let levelText = word.dropFirst(given.count)
            let known = ["all", "none", "help"].contains(name) || kind.words.contains { $0.name.lowercased() == name }
            guard known, levelText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw SyncError(.syntax, "Unknown --\(kind.rawValue) item: \"\(given)\"", isPrefixed: false)
            }
            // A level too large to read is as high as any (rsync's atoi reads what fits).
            items.append(Item(name: name, level: levelText.isEmpty ? 1 : Int(levelText) ?? Int(Int32.max)))
        }
        return items
    }

    /// rsync's `--info=help` / `--debug=help` text.
    static func help(_ kind: Kind) -> String {
        func line(_ name: String, _ text: String) -> String {
            name + String(repeating: " ", count: max(0, 10 - name.count)) + " " + text + "\n"
        }
        var text = "Use OPT or OPT1 for level 1 output, OPT2 for level 2, etc.; OPT0 silences.\n\n"
        for word in kind.words { text += line(word.name, word.help) }
        text += "\n"
        text += line("ALL", "Set all --\(kind.rawValue) options (e.g. all4)")
        text += line("NONE", "Silence all --\(kind.rawValue) options (same as all0)")
        text += line("HELP", "Output this help message")
        text += "\nOptions added at each level of verbosity:\n"
        for level in kind.levels { text += level + "\n" }
        return text
    }
}
