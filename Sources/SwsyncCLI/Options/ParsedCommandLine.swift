import SyncCore

/// The result of parsing argv: the options, the positional arguments and what to do.
public struct ParsedCommandLine: Sendable {
    public var options = SyncOptions()
    public var positional: [String] = []
    public var showHelp = false
    public var showVersion = false
    /// `--server`: this process is the remote peer (reserved for the remote transport).
    public var server = false
    /// `--debug=FLAGS`, kept for the filter issue's `--debug=FILTER`.
    public var debugFlags: [String] = []
    /// `-r`, `-d` and `-R` as given explicitly (nil: not given): `--files-from` changes their defaults.
    var recursiveGiven: Bool?
    var dirsGiven: Bool?
    var relativeGiven: Bool?
    /// Which `--delete-WHEN` options were given, to refuse combining them as rsync does.
    var deleteTimingsGiven = 0
    var deleteTimings: Set<String> = []
    /// `-h` seen as a bundle of its own ("-h" alone means --help).
    var sawBareH = false
    var otherOptionsSeen = 0

    public init() {}
}
