/// The order rsync's output has: its item lines (`-v` names, `-i` lines, `--out-format`) travel in the
/// data stream between its processes, while its notes (deletions, "is uptodate", skip reasons, backups)
/// are out-of-band messages that overtake them. The generator's stream is flushed when it has used up the
/// file list it was sent, which the sender keeps about 1,000 entries ahead; so a small run prints every
/// note first and its item lines at the end, and a large one alternates, a few directories at a time.
///
/// swsync prints notes at once and holds item lines the same way: until about 1,000 entries have been
/// reported and the next one is in another directory, until a line has waited a second, or until the
/// run ends. With `--progress` nothing is held (rsync's sender prints those names as it sends).
struct HeldItemLines {
    /// rsync's sender's lookahead (`MIN_FILECNT_LOOKAHEAD`).
    static let entriesPerRelease = 1000
    /// A line waits no longer than this, so a slow transfer's names still show up.
    static let longestWait = 1.0

    private(set) var lines: [String] = []
    private var entriesSinceRelease = 0
    private var previousName: [UInt8] = []
    private var oldestLineTime = 0.0

    var isEmpty: Bool { lines.isEmpty }

    /// Whether the lines held so far are due before the entry `name` is reported (or deleted).
    mutating func isDue(before name: [UInt8], now: Double) -> Bool {
        defer { previousName = name }
        if hasWaitedTooLong(now: now) { return true }
        return entriesSinceRelease >= Self.entriesPerRelease && !Self.shareDirectory(name, previousName)
    }

    func hasWaitedTooLong(now: Double) -> Bool {
        !lines.isEmpty && now - oldestLineTime >= Self.longestWait
    }

    /// Counts an entry reported, and holds its line if it has one.
    mutating func add(_ line: String?, now: Double) {
        entriesSinceRelease += 1
        guard let line else { return }
        if lines.isEmpty { oldestLineTime = now }
        lines.append(line)
    }

    static func shareDirectory(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let slash = UInt8(ascii: "/")
        return a[..<(a.lastIndex(of: slash) ?? 0)] == b[..<(b.lastIndex(of: slash) ?? 0)]
    }

    /// The held lines, in order, now due.
    mutating func release() -> [String] {
        defer {
            lines.removeAll(keepingCapacity: true)
            entriesSinceRelease = 0
        }
        return lines
    }
}
