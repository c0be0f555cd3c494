import Testing
@testable import SwsyncCLI
import SyncCore
import SyncTestSupport

/// How operands are read, checked against what rsync 3.5.0 did with each (run with `-e` set to a script that
/// prints the host it was given, or with a local destination for the local names).
@Suite("rsync host specs and operand mixes", .tags(.small))
struct HostSpecTests {
    static let table: [(String, HostSpec)] = [
        // Local: no colon, a slash before the colon, or a malformed bracket.
        ("dst", .local), ("./a:b", .local), ("/abs/a:b", .local), ("dir/a:b", .local), ("a@b", .local),
        ("x[a]:p", .local), ("[a]b:x", .local), ("[]:x", .local), ("[a", .local), ("[::1]", .local),
        ("[::1]/x", .local),
        // The remote shell.
        ("a:b", .shell(host: "a")), ("host:", .shell(host: "host")), ("host:/abs", .shell(host: "host")),
        ("u@host:path", .shell(host: "u@host")), (":path", .shell(host: "")), ("@h:p", .shell(host: "@h")),
        ("[::1]:p", .shell(host: "[::1]")), ("u@[a]:x", .shell(host: "u@[a]")), ("rsync:x", .shell(host: "rsync")),
        ("rsync:/h", .shell(host: "rsync")),
        // The daemon.
        ("h::m", .daemon(host: "h")), ("u@h::m/p", .daemon(host: "u@h")), ("::m", .daemon(host: "")),
        ("h::", .daemon(host: "h")), ("[::1]::m", .daemon(host: "[::1]")), ("rsync://h/m", .daemon(host: "h")),
        ("RSYNC://h/m", .daemon(host: "h")), ("rsync://h", .daemon(host: "h")), ("rsync://h:873/m", .daemon(host: "h")),
        ("rsync://u@h/m/p", .daemon(host: "u@h")), ("rsync:///m", .daemon(host: "")),
        // rsync reads a bad port as a remote-shell host "rsync"; it is a daemon URL all the same.
        ("rsync://h:abc/m", .daemon(host: "h")),
    ]

    @Test(arguments: table)
    func classifies(_ argument: String, _ expected: HostSpec) {
        #expect(HostSpec(argument) == expected)
    }

    @Test func remotePathIsTheRemoteShellWithAHost() {
        #expect(RemotePath.isRemote("host:path"))
        #expect(!RemotePath.isRemote(":path"))
        #expect(!RemotePath.isRemote("h::m"))
        #expect(!RemotePath.isRemote("./a:b"))
        #expect(!RemotePath.isRemote("x[a]:p"))
    }

    static let mixes: [([String], Operands.Remote?, String?)] = [
        (["src/", "dst/"], Operands.Remote.none, nil),
        (["src/", "./a:b"], Operands.Remote.none, nil),
        (["src/", "h:dst"], .shell, nil),
        (["h:a", "h:b", "dst/"], .shell, nil),
        (["h:a", ":b", "dst/"], .shell, nil),
        (["src/", "h::m"], .daemon, nil),
        (["h::m/a", "::m/b", "dst/"], .daemon, nil),
        (["h::a", "rsync://h/b", "dst/"], .daemon, nil),
        (["h::m"], .daemon, nil),
        (["rsync://h/m"], .daemon, nil),
        (["src/", "h::m", "dst/"], nil, "Unexpected remote arg: h::m"),
        (["src/", "h::m", "g::n"], nil, "Unexpected remote arg: h::m"),
        (["h::m/a", "src/", "dst/"], nil, "Unexpected local arg: src/"),
        (["h::a", "g::b", "dst/"], nil, "All source args must come from the same machine."),
        (["u@h::a", "h::b", "dst/"], nil, "All source args must come from the same machine."),
        (["h::a", "g:b", "dst/"], nil, "All source args must come from the same machine."),
        (["h::a", ":b", "dst/"], nil, "All source args must use the same hostspec format."),
        (["h:a", "::b", "dst/"], nil, "All source args must use the same hostspec format."),
        (["h:a", "rsync://h/b", "dst/"], nil, "All source args must use the same hostspec format."),
        (["h::a", "g::b"], nil, "The source and destination cannot both be remote."),
        (["h::a", "src/", "g::n"], nil, "The source and destination cannot both be remote."),
    ]

    @Test(arguments: mixes)
    func operandMixes(_ operands: [String], _ expected: Operands.Remote?, _ refusal: String?) {
        do {
            let remote = try Operands.remote(operands)
            #expect(refusal == nil, "accepted, rsync refuses: \(refusal ?? "")")
            #expect(remote == expected)
        } catch {
            #expect(error.lines.first == refusal)
        }
    }

    @Test func daemonOptionsAreRecognised() throws {
        let daemon = try CommandLineParser.parse(["--daemon", "--config=x", "--no-detach"])
        #expect(daemon.daemonModeOptions == ["--daemon", "--config", "--no-detach"])
        let client = try CommandLineParser.parse(["--port=873", "--password-file", "pw", "--no-motd", "a", "b"])
        #expect(client.daemonClientOptions == ["--port", "--password-file", "--no-motd"])
        #expect(client.positional == ["a", "b"])
        #expect(throws: SyncError.self) { try CommandLineParser.parse(["--port=abc", "a", "b"]) }
    }

    static let backupDirSpellings: [(String, Bool)] = [
        (".", true), ("./", true), (".//", true), ("./.", true), ("././", true), ("", true),
        ("..", false), ("bak", false), ("./bak", false), ("/", false), ("/abs", false), (".bak", false),
    ]

    @Test(arguments: backupDirSpellings)
    func backupDirSpellsTheDestination(_ spelling: String, _ expected: Bool) {
        #expect(BackupLocation.spellsDestination(Array(spelling.utf8)) == expected)
    }

    @Test func emptySuffixWithTheDestinationAsBackupDirIsRefused() {
        for arguments in [["--backup-dir=."], ["-b", "--backup-dir=./", "--suffix="]] {
            #expect(throws: SyncError.self) { try CommandLineParser.parse(arguments + ["a", "b"]) }
        }
        #expect(throws: Never.self) { try CommandLineParser.parse(["--backup-dir=.", "--suffix=~", "a", "b"]) }
        #expect(throws: Never.self) { try CommandLineParser.parse(["--backup-dir=bak", "a", "b"]) }
    }
}
