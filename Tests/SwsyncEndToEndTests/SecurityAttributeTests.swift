import SyncTestSupport
import Testing

/// `-X`/`-XX` and `-A` against rsync: the same fixture through both, trees compared with every extended
/// attribute and ACL (`TreeSnapshot.extendedAttributes`), itemize lines (the `a` and `x` columns) and exit
/// codes compared, and a second run that must find nothing left to do.
@Suite(.tags(.large, .differential),
    .enabled(if: Tools.rsyncAvailable && SecurityFixture.available, "rsync, setfattr or setfacl not found"))
struct SecurityAttributeTests {
    /// rsync's own output has the column the case is about, so a case cannot pass by changing nothing.
    static func itemizes(_ fragment: String) -> OracleCheck {
        OracleCheck { record in
            record.output.stdoutText.contains(fragment) ? [] : ["rsync printed no \"\(fragment)\" line"]
        }
    }

    static let cases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-aiX"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aiA"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aiAX"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aiXX"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aHAXSi", "--numeric-ids"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aiX"], scenario: .securityAttributesStale, checks: [itemizes("........x ")]),
        DifferentialCase(arguments: ["-aiXX"], scenario: .securityAttributesStale, checks: [itemizes("........x ")]),
        DifferentialCase(arguments: ["-aiA"], scenario: .securityAttributesStale, checks: [itemizes(".......a. ")]),
        DifferentialCase(arguments: ["-aiAX"], scenario: .securityAttributesStale, checks: [itemizes(".......a")]),
        DifferentialCase(arguments: ["-aiAX", "--numeric-ids"], scenario: .securityAttributesStale),
        DifferentialCase(arguments: ["-aiAXn"], scenario: .securityAttributesStale, checks: [.unchanged]),
        DifferentialCase(arguments: ["-aiAXn"], scenario: .securityAttributes),
        DifferentialCase(arguments: ["-aiAX", "--link-dest=../prev"], scenario: .securityAttributesPrevious,
            checks: [itemizes("cf........x ")]),
        DifferentialCase(arguments: ["-aiAX", "--copy-dest=../prev"], scenario: .securityAttributesPrevious,
            knownDifference: "rsync's --copy-dest makes a FIFO matched in the reference directory without its xattrs "
                + "(the next run adds them: .S........x); swsync gives them at once (Docs/compatibility.md)"),
        DifferentialCase(arguments: ["-aiAX", "--compare-dest=../prev"], scenario: .securityAttributesPrevious),
        DifferentialCase(arguments: ["-aiAX", "--inplace"], scenario: .securityAttributesStale),
        DifferentialCase(arguments: ["-aiAXH", "--no-whole-file"], scenario: .securityAttributesStale),
        DifferentialCase(arguments: ["-aiAXc", "--delete"], scenario: .securityAttributesStale),
        // Without the options nothing of them is copied or compared.
        DifferentialCase(arguments: ["-ai"], scenario: .securityAttributesStale),
    ]

    @Test(arguments: cases)
    func againstRsync(_ testCase: DifferentialCase) throws {
        try DifferentialRunner.runComparing(testCase)
    }
}

/// Without `-p`, new entries take their modes as rsync gives them: masked by the default ACL of the
/// directory they go into (rsync's `default_perms_for_dir`) instead of the umask, and a directory made in a
/// setgid directory keeps the setgid bit it inherited.
@Suite(.tags(.large, .differential),
    .enabled(if: Tools.rsyncAvailable && SecurityFixture.available, "rsync, setfattr or setfacl not found"))
struct NewEntryModeTests {
    static let cases: [DifferentialCase] = [
        DifferentialCase(arguments: ["-ri"], operands: ["src/", "dst/to/"], scenario: .defaultACLParent),
        DifferentialCase(arguments: ["-ri"], operands: ["src/a", "src/one.bin", "src/script.sh", "dst/to/"],
            scenario: .defaultACLParent),
        DifferentialCase(arguments: ["-ri"], operands: ["src/one.bin", "dst/renamed.bin"], scenario: .defaultACLParent),
        DifferentialCase(arguments: ["-rpi"], operands: ["src/", "dst/to/"], scenario: .defaultACLParent),
        DifferentialCase(arguments: ["-ri"], operands: ["src/", "dst/to/"], scenario: .setgidParent),
        DifferentialCase(arguments: ["-rpi"], operands: ["src/", "dst/to/"], scenario: .setgidParent),
    ]

    @Test(arguments: cases)
    func againstRsync(_ testCase: DifferentialCase) throws {
        try DifferentialRunner.runComparing(testCase)
    }
}

extension Scenario {
    /// `dst/` with a default ACL that grants more than the umask leaves (rwx for all, the mask r-x).
    static let defaultACLParent = Scenario(name: "default-acl-parent") { context in
        try context.buildRichSource()
        try makeDirectories(context.path("dst"))
        try SecurityFixture.run("/usr/bin/setfacl", ["-dm", "u::rwx,g::rwx,o::rwx,u:nobody:r,m::rx", context.path("dst")])
        try Fixture.freezeTimes(context.path("dst"))
    }

    /// `dst/` setgid (and, as root, of another group): new directories below inherit both.
    static let setgidParent = Scenario(name: "setgid-parent") { context in
        try context.buildRichSource()
        try makeDirectories(context.path("dst"))
        if isRoot { try changeOwner(context.path("dst"), uid: 0, gid: 5678) }
        try changeMode(context.path("dst"), 0o2775)
        try Fixture.freezeTimes(context.path("dst"))
    }
}
