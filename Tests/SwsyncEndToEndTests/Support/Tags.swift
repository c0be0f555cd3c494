import Testing

/// Test sizes and kinds, after SwiftPM's `Sources/_InternalTestSupport/SwiftTesting+Tags.swift`.
///
/// Run one kind with e.g. `swift test --filter SwsyncEndToEndTests` or by tag in Xcode.
extension Tag {
    /// Runs the built binary as a subprocess.
    @Tag static var large: Self
    /// Compares swsync with real rsync on the same fixture.
    @Tag static var differential: Self
}
