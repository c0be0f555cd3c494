/// rsync's `--info=flist2` (`--progress`) lines where it builds the whole file list before the transfer
/// (flist.c's `show_filelist_progress`: `-r` without incremental recursion, or `-d`): the list's kind, a
/// count every hundred entries, and "N files to consider" once the list is complete, each count ending
/// in a carriage return so a terminal shows one line.
public enum FileListProgress {
    /// Which end announces the list: the sender builds it, a pull's client receives it.
    public enum Side: Sendable {
        case building
        case receiving
    }

    /// Whether a run with `options` prints these lines (and so needs the whole list's size first).
    public static func isShown(_ options: SyncOptions) -> Bool {
        options.fileListLevel >= 2 && !options.listsIncrementally && (options.recursive || options.dirs)
    }

    /// The lines for a list of `count` entries, as one text without the final newline. The sender counts
    /// before it adds each entry (0, 100, ...), the receiver after (100, 200, ...); rsync's first count
    /// moves the output to a new line after the kind, which otherwise shares a line with the total.
    public static func text(count: Int, side: Side) -> String {
        let kind = side == .building ? "building file list ... " : "receiving file list ... "
        let counts = side == .building
            ? Array(stride(from: 0, to: count, by: 100)) : Array(stride(from: 100, through: count, by: 100))
        let total = "\(count) file\(count == 1 ? " " : "s ")to consider"
        guard !counts.isEmpty else { return kind + total }
        return kind + "\n" + counts.map { " \($0) files...\r" }.joined() + total
    }
}
