/// Counters for `--stats` (rsync `main.c`, `output_summary`).
public struct TransferStats: Sendable {
    public struct KindCounts: Sendable {
        public var regular = 0
        public var directory = 0
        public var symlink = 0
        public var device = 0
        public var special = 0
        public var total: Int { regular + directory + symlink + device + special }

        public mutating func add(_ kind: FileKind) {
            switch kind {
            case .regular: regular += 1
            case .directory: directory += 1
            case .symlink: symlink += 1
            case .characterDevice, .blockDevice: device += 1
            case .fifo, .socket: special += 1
            }
        }

        /// "12 (reg: 6, dir: 5, link: 1)", as rsync prints it.
        public func render(level: Int) -> String {
            var parts: [String] = []
            if regular > 0 { parts.append("reg: \(NumberFormat.integer(Int64(regular), level: level))") }
            if directory > 0 { parts.append("dir: \(NumberFormat.integer(Int64(directory), level: level))") }
            if symlink > 0 { parts.append("link: \(NumberFormat.integer(Int64(symlink), level: level))") }
            if device > 0 { parts.append("dev: \(NumberFormat.integer(Int64(device), level: level))") }
            if special > 0 { parts.append("special: \(NumberFormat.integer(Int64(special), level: level))") }
            let head = NumberFormat.integer(Int64(total), level: level)
            return parts.isEmpty ? head : head + " (" + parts.joined(separator: ", ") + ")"
        }
    }

    public var files = KindCounts()
    public var created = KindCounts()
    public var deleted = KindCounts()
    public var regularFilesTransferred = 0
    public var totalFileSize: Int64 = 0
    public var transferredFileSize: Int64 = 0
    public var literalData: Int64 = 0
    public var matchedData: Int64 = 0
    /// -vv's "total:" line: blocks matched, weak-sum hits, and weak hits the strong sum rejected.
    public var matchedBlocks: Int64 = 0
    public var hashHits: Int64 = 0
    public var falseAlarms: Int64 = 0
    public var fileListSize: Int64 = 0
    public var fileListGenerationSeconds: Double = 0
    public var bytesSent: Int64 = 0
    public var bytesReceived: Int64 = 0

    public init() {}

    /// Counts one entry of the file list toward "Number of files" and "Total file size" (its length, or a
    /// symlink's target length). rsync's sender counts every entry it lists, whether or not the receiving
    /// side then looks at it (`--existing` below a missing directory, a skipped symlink, `--list-only`).
    public mutating func countListed(_ entry: FileEntry) {
        files.add(entry.kind)
        totalFileSize &+= entry.countedSize  // &: sizes may come from a peer
    }
}
