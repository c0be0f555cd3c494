/// Lines rsync prints as a run starts, shared by transfers and `--list-only`.
public enum RunNotices {
    /// `-vv`: whether the generator matches blocks against the destination (rsync's generator says so).
    public static func deltaTransmission(_ options: SyncOptions) -> String? {
        guard options.verbose > 1 && !options.quiet else { return nil }
        return options.wholeFile == false
            ? "delta-transmission enabled" : "delta-transmission disabled for local transfer or --whole-file"
    }
}
