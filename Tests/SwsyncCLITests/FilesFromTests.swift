import Testing
@testable import SwsyncCLI
import SyncCore
import SyncTestSupport

/// Where `--files-from` reads its list and how a list's bytes become names, as rsync 3.5.0 does it.
@Suite("--files-from lists", .tags(.small))
struct FilesFromTests {
    static let locations: [(String, FilesFromLocation)] = [
        ("list", .local("list")), ("-", .local("-")), ("./a:b", .local("./a:b")), ("/abs/a:b", .local("/abs/a:b")),
        (":list", .remote(host: "", path: "list")), ("host:/abs/list", .remote(host: "host", path: "/abs/list")),
        ("u@host:list", .remote(host: "u@host", path: "list")), ("host:", .remote(host: "host", path: "")),
        (":-", .remote(host: "", path: "-")), ("h::list", .remote(host: "h", path: "list")),
        ("[::1]:l", .remote(host: "[::1]", path: "l")), ("rsync://h/m", .local("rsync://h/m")),
    ]

    @Test(arguments: locations)
    func locates(_ value: String, _ expected: FilesFromLocation) {
        #expect(FilesFromLocation(value) == expected)
    }

    /// rsync's refusals: a local transfer, another host (`USER@` counts); `:FILE` is always the remote end.
    @Test func refusesWhatRsyncRefuses() {
        let remote = FilesFromLocation(":list"), named = FilesFromLocation("u@h:list")
        #expect(remote.refusal(transferHost: nil) == "--files-from cannot be remote when the transfer is local")
        #expect(remote.refusal(transferHost: "anything") == nil)
        #expect(named.refusal(transferHost: "u@h") == nil)
        #expect(named.refusal(transferHost: "h") == "--files-from hostname is not the same as the transfer hostname")
        #expect(FilesFromLocation("list").refusal(transferHost: nil) == nil)
    }

    @Test func parserRefusesAStandardInputOnTheRemoteEndAndAHostOnAServer() throws {
        for arguments in [["--files-from=:-", "src/", "dst/"], ["--files-from=h:-", "src/", "h:dst/"],
            ["--server", "--files-from=h:list", ".", "dst"]]
        {
            #expect(throws: SyncError.self, "\(arguments)") { try CommandLineParser.parse(arguments) }
        }
        #expect(throws: Never.self) { try CommandLineParser.parse(["--files-from=h:list", "src/", "h:dst/"]) }
    }

    /// A list read from a file here: lines, comments skipped, a name ends at a NUL (rsync's C string).
    @Test func entriesOfALocalFile() {
        let content = Array("a\n#c\n;d\r\n\nb\r\nx\0y\nz\r".utf8)
        #expect(FileListNames.entries(content, fromZero: false).map { String(decoding: $0, as: UTF8.self) }
            == ["a", "b", "x", "z"])
        #expect(FileListNames.entries(Array("a\0#c\0b\n\0".utf8), fromZero: true).count == 2)
    }

    /// A list that crossed the connection: CR, LF and NUL end names, and comments are names (rsync 3.5.0).
    @Test func entriesOfAForwardedList() {
        let content = Array("a\n#c\r;d\0\nb\rx\0y".utf8)
        #expect(FileListNames.forwardedEntries(content, fromZero: false).map { String(decoding: $0, as: UTF8.self) }
            == ["a", "#c", ";d", "b", "x", "y"])
        #expect(FileListNames.forwardedEntries(Array("a\nb\0\0#c".utf8), fromZero: true).map {
            String(decoding: $0, as: UTF8.self)
        } == ["a\nb", "#c"])
    }
}
