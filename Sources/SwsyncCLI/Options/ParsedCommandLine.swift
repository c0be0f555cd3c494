import SyncCore

/// The result of parsing argv: the options, the positional arguments and what to do.
public struct ParsedCommandLine: Sendable {
    public var options = SyncOptions()
    public var positional: [String] = []
    public var showHelp = false
    public var showVersion = false
    /// `-V` given twice or more: the capability report as JSON (rsync 3.5's `-VV`).
    public var versionLevel = 0
    /// `--server`: this process is the remote peer, started by a client over the remote shell.
    public var server = false
    /// `--sender` (with `--server`): the peer sends (a pull); without it, it receives (a push).
    public var serverSends = false
    /// Each option as given, in a canonical spelling (`--name`, `--name=value`, `--no-name`), for the
    /// command line the client passes on to its peer.
    public var optionWords: [(name: String, word: String)] = []
    /// `--confine-root`'s text, checked and normalised once the whole line is read.
    var confineRootGiven: String?
    /// `--jobs` was given: else each side takes the default for its own storage (`DefaultJobs`).
    var jobsGiven = false
    /// `--debug=FLAGS`, kept for the filter issue's `--debug=FILTER`.
    public var debugFlags: [String] = []
    /// `-r`, `-d` and `-R` as given explicitly (nil: not given): `--files-from` changes their defaults.
    var recursiveGiven: Bool?
    var dirsGiven: Bool?
    var relativeGiven: Bool?
    /// Which `--delete-WHEN` options were given, to refuse combining them as rsync does.
    var deleteTimingsGiven = 0
    var deleteTimings: Set<String> = []
    /// rsync's daemon-mode options as given (`--daemon`, `--config`, ...): swsync has no daemon mode yet.
    var daemonModeOptions: [String] = []
    /// Options of a connection to an rsync daemon as given (`--port`, `--password-file`, ...).
    var daemonClientOptions: [String] = []
    /// Options accepted and ignored (`--protocol=N`): `-v` says so.
    var ignoredOptions: [String] = []
    /// `--copy-as=USER[:GROUP]`: the identity this end takes for the copy (``CopyAsIdentity``).
    var copyAs: String?
    /// `--stop-at`/`--stop-after`: when the run stops itself (seconds since the epoch). Client-side only,
    /// as in rsync (`-M` gives it to the peer).
    var stopAt: Int?
    /// `--info=help` or `--debug=help`: print that list and stop.
    var outputHelp: OutputFlags.Kind?
    /// `--write-batch=FILE` or `--only-write-batch=FILE`, and `--read-batch=FILE` (`BatchTransfer`).
    var batchWrite: (onlyBatch: Bool, name: String)?
    var batchRead: String?
    /// `-M OPTION`: words for the peer's command line alone, after the forwarded options.
    public var remoteOptions: [String] = []
    /// `--old-args`: a pull's remote source names are split at spaces, as an old rsync's remote shell
    /// split them.
    var oldArgs = false
    /// `--old-args` or `--no-old-args` was given; otherwise `RSYNC_OLD_ARGS` may ask for it.
    var oldArgsGiven = false
    /// `-s`/`--secluded-args` (true) or `--no-secluded-args` (false): accepted (swsync's protocol never
    /// passes names through the remote shell); it turns `RSYNC_OLD_ARGS` off, as in rsync.
    var secludedArgs: Bool?
    /// `--iconv=SPEC` as given (nil after `--no-iconv`), and whether either was given (otherwise
    /// `RSYNC_ICONV` may name one).
    var iconvText: String?
    var iconvGiven = false
    /// `--old-dirs`: `--dirs` as old rsyncs did it (`-r` with `- /*/*`).
    var oldDirs = false
    /// Whether `--usermap`/`--groupmap` came from `--chown` (rsync refuses to mix them).
    var userMapViaChown: Bool?
    var groupMapViaChown: Bool?
    /// `-h` seen as a bundle of its own ("-h" alone means --help).
    var sawBareH = false
    var otherOptionsSeen = 0

    public init() {}
}
