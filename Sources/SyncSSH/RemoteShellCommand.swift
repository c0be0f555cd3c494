/// The `-e`/`--rsh COMMAND` string (or `RSYNC_RSH`), split into words the way rsync splits it.
///
/// rsync `main.c` `do_cmd`, and `man rsync` under `--rsh`: words are separated by spaces only (not tabs or other
/// whitespace); single and double quotes group a word and may be mixed within one (`'a'"b"` is `ab`); inside a
/// quoted part, the same quote doubled gives one literal quote (`'it''s'` is `it's`); the other quote character is
/// literal there (`'say "hi"'`). Backslashes are *not* special ("but not backslashes", says the man page); `''`
/// alone is an empty word. An unclosed quote is a syntax error (exit 1), as in rsync.
public enum RemoteShellCommand {
    /// rsync's default remote shell (`RSYNC_RSH` in rsync's `config.h`).
    public static let defaultCommand = "ssh"

    /// The environment variable rsync reads when there is no `-e`.
    public static let environmentVariable = "RSYNC_RSH"

    /// The remote-shell command to run: `-e` if given, else `RSYNC_RSH`, else `ssh`.
    public static func resolve(option: String?, environment: [String: String]) -> String {
        option ?? environment[environmentVariable] ?? defaultCommand
    }

    /// Splits COMMAND into argv words as rsync's `do_cmd` does.
    public static func split(_ command: String) throws(TransportError) -> [String] {
        let space = UInt8(ascii: " ")
        let single = UInt8(ascii: "'")
        let double = UInt8(ascii: "\"")
        let bytes = Array(command.utf8)
        var words: [String] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == space {
                index += 1
                continue
            }
            var word: [UInt8] = []
            var quote: UInt8? = nil
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if byte == open {
                        // A doubled quote inside a quoted part is one literal quote; otherwise it closes.
                        if index + 1 < bytes.count && bytes[index + 1] == open {
                            word.append(open)
                            index += 2
                        } else {
                            quote = nil
                            index += 1
                        }
                        continue
                    }
                } else {
                    if byte == space { break }
                    if byte == single || byte == double {
                        quote = byte
                        index += 1
                        continue
                    }
                }
                word.append(byte)
                index += 1
            }
            if let open = quote {
                throw TransportError(
                    .syntax, "Missing trailing-\(Character(Unicode.Scalar(open))) in remote-shell command.",
                    exitCode: 1)
            }
            words.append(String(decoding: word, as: UTF8.self))
        }
        if words.isEmpty {
            throw TransportError(.syntax, "The remote-shell command is empty.", exitCode: 1)
        }
        return words
    }

    /// The argv rsync runs: COMMAND's words, `-l USER` when a user was given, the host, then the remote command's
    /// words (ssh joins them with spaces and the remote shell parses the result).
    ///
    /// rsync passes the user as `-l user` (not `user@host`) so that rsh-like commands work too; like rsync, it
    /// is omitted only for daemon-over-rsh connections when COMMAND already has `-l` (not supported here).
    /// `addressFamily` (`-4`/`-6`) goes right after the program when that program is ssh, as rsync passes it.
    public static func arguments(command: String, user: String?, host: String, remoteCommand: [String],
        addressFamily: String? = nil) throws(TransportError) -> [String]
    {
        var argv = try split(command)
        if let addressFamily, argv[0].split(separator: "/").last == "ssh" { argv.insert(addressFamily, at: 1) }
        if let user, !user.isEmpty {
            argv += ["-l", user]
        }
        argv.append(host)
        argv += remoteCommand
        return argv
    }
}
