import Testing

/// The one set of test tags, after SwiftPM's `_InternalTestSupport/SwiftTesting+Tags.swift`. Every suite
/// carries a size tag (`small`, `medium` or `large`); the others say what a test needs.
extension Tag {
    /// Pure logic in memory: no disk, no processes, no network (the in-memory file system at most).
    @Tag public static var small: Self
    /// Touches the real file system (temp directories), processes or sockets, but starts no sshd.
    @Tag public static var medium: Self
    /// Runs the built binary as a subprocess, or needs a server of its own (a private sshd).
    @Tag public static var large: Self
    /// Compares swsync with real rsync on the same fixture.
    @Tag public static var differential: Self
    /// Runs a transfer through a private sshd (Scripts/lib/test-sshd.sh or Scripts/lib/netem-host.sh).
    @Tag public static var remote: Self
    /// Starts a private sshd on 127.0.0.1 (Scripts/lib/test-sshd.sh).
    @Tag public static var sshd: Self
}
