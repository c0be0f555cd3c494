import SyncTestSupport
import Testing

@testable import SyncSSH

/// `-e`/`--rsh` word splitting, after rsync `main.c` `do_cmd` and `man rsync` (`--rsh`). The quoting rows come
/// from rsync's own `testsuite/rsh-quoting` cases (arg4'added, arg5added, arg"6", arg7added, arg8"added).
@Suite("Remote-shell command splitting", .tags(.small))
struct RemoteShellCommandTests {
    static let table: [(String, [String])] = [
        ("ssh", ["ssh"]),
        ("ssh -p 2222 -i key", ["ssh", "-p", "2222", "-i", "key"]),
        ("  ssh   -p  2222  ", ["ssh", "-p", "2222"]),
        // Only spaces separate words: a tab stays inside the word.
        ("ssh\t-p", ["ssh\t-p"]),
        ("ssh -o 'ProxyCommand nc %h %p'", ["ssh", "-o", "ProxyCommand nc %h %p"]),
        ("ssh -o \"ProxyCommand nc %h %p\"", ["ssh", "-o", "ProxyCommand nc %h %p"]),
        ("'arg2'", ["arg2"]),
        // A doubled quote inside quotes is a literal quote.
        ("'arg4''added'", ["arg4'added"]),
        ("\"arg8\"\"added\"", ["arg8\"added"]),
        // Quoted parts and bare text concatenate.
        ("'arg5'\"added\"", ["arg5added"]),
        ("\"arg7\"'added'", ["arg7added"]),
        ("pre'mid dle'post", ["premid dlepost"]),
        // The other quote character is literal inside quotes.
        ("'arg\"6\"'", ["arg\"6\""]),
        ("\"it's\"", ["it's"]),
        // Backslashes are not special (man rsync: "but not backslashes").
        ("a\\ b", ["a\\", "b"]),
        ("'a\\'", ["a\\"]),
        ("C:\\path\\ssh.exe -v", ["C:\\path\\ssh.exe", "-v"]),
        // An empty quoted word is a word.
        ("ssh '' x", ["ssh", "", "x"]),
        ("ssh \"\"", ["ssh", ""]),
        ("'arg with spaces' x", ["arg with spaces", "x"]),
        ("ssh -e none -o 'SendEnv=A B'", ["ssh", "-e", "none", "-o", "SendEnv=A B"]),
    ]

    @Test("splits like rsync's do_cmd", arguments: table)
    func splits(_ input: String, _ expected: [String]) throws {
        #expect(try RemoteShellCommand.split(input) == expected)
    }

    @Test("an unclosed quote is rsync's syntax error", arguments: [("ssh 'x", "'"), ("ssh \"x", "\""), ("'", "'")])
    func unclosedQuote(_ input: String, _ quote: String) {
        #expect {
            try RemoteShellCommand.split(input)
        } throws: { error in
            let error = error as! TransportError
            return error.code == .syntax && error.exitCode == 1
                && error.message == "Missing trailing-\(quote) in remote-shell command."
        }
    }

    @Test("an empty command is refused", arguments: ["", "   "])
    func empty(_ input: String) {
        #expect(throws: TransportError.self) { try RemoteShellCommand.split(input) }
    }

    @Test("argv is COMMAND words, -l user, host, remote command")
    func argumentVector() throws {
        #expect(
            try RemoteShellCommand.arguments(
                command: "ssh -p 22", user: "alice", host: "example.org", remoteCommand: ["swsync", "--server", "."])
                == ["ssh", "-p", "22", "-l", "alice", "example.org", "swsync", "--server", "."])
        #expect(
            try RemoteShellCommand.arguments(command: "rsh", user: nil, host: "h", remoteCommand: ["x"])
                == ["rsh", "h", "x"])
    }

    @Test("-4/-6 go to ssh right after the program, and to no other remote shell")
    func addressFamily() throws {
        #expect(try RemoteShellCommand.arguments(command: "/usr/bin/ssh -p 22", user: nil, host: "h", remoteCommand: ["x"],
            addressFamily: "-4") == ["/usr/bin/ssh", "-4", "-p", "22", "h", "x"])
        #expect(try RemoteShellCommand.arguments(command: "rsh", user: nil, host: "h", remoteCommand: ["x"],
            addressFamily: "-6") == ["rsh", "h", "x"])
    }

    @Test("-e wins over RSYNC_RSH, which wins over ssh")
    func resolution() {
        #expect(RemoteShellCommand.resolve(option: "rsh", environment: ["RSYNC_RSH": "x"]) == "rsh")
        #expect(RemoteShellCommand.resolve(option: nil, environment: ["RSYNC_RSH": "ssh -p 2"]) == "ssh -p 2")
        #expect(RemoteShellCommand.resolve(option: nil, environment: [:]) == "ssh")
    }

    @Test("environment overrides point libssh at test files")
    func environmentOverrides() {
        var options = SSHOptions(host: "h")
        options.applyEnvironment([
            "SWSYNC_SSH_CONFIG": "/t/config", "SWSYNC_SSH_DIR": "/t", "SWSYNC_SSH_KNOWN_HOSTS": "/t/kh",
        ])
        #expect(options.config == .file("/t/config"))
        #expect(options.sshDirectory == "/t")
        #expect(options.knownHostsFile == "/t/kh")
    }
}
