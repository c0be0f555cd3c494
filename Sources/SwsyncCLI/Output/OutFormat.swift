import Glibc
import SyncCore

/// Renders rsync's `--out-format` / `--log-file-format` escapes (rsync `log.c`, `log_formatted`):
/// %n %f %L %i %l %b %o %t %M %p %B %U %G %%, with optional `-`, width and `'` (digit grouping).
struct OutFormat {
    let format: [Character]
    let highBytes: OutputEscaper.HighBytes
    let humanLevel: Int
    /// `%C`'s width: two hex digits a byte of the run's whole-file sum.
    var checksumWidth = 32

    init(_ format: String, highBytes: OutputEscaper.HighBytes, humanLevel: Int) {
        self.format = Array(format)
        self.highBytes = highBytes
        self.humanLevel = humanLevel
    }

    var hasItemize: Bool { containsEscape("i") }

    func containsEscape(_ letter: Character) -> Bool {
        var index = 0
        while index < format.count {
            if format[index] == "%" {
                var (leftAlign, grouping, width) = (false, false, "")
                index = Self.scanFlags(format, from: index + 1, leftAlign: &leftAlign, grouping: &grouping, width: &width)
                if index < format.count && format[index] == letter { return true }
                if index < format.count && format[index] == "%" { index += 1 }
                continue
            }
            index += 1
        }
        return false
    }

    /// An escape's flags after its `%`, as rsync's `log_formatted` reads them: `'`s (digit grouping), one
    /// `-` (left-aligned), a width of as many digits as fit rsync's 32-byte buffer (23 with the `-`; a digit
    /// after those is the escape's letter, which makes it no escape), then `'`s again. Returns the index of
    /// the letter.
    static func scanFlags(_ format: [Character], from start: Int, leftAlign: inout Bool, grouping: inout Bool,
        width: inout String) -> Int
    {
        var index = start
        while index < format.count, format[index] == "'" { grouping = true; index += 1 }
        var used = 0
        if index < format.count, format[index] == "-" {
            leftAlign = true
            used += 1
            index += 1
        }
        while index < format.count, format[index].isASCII, format[index].isNumber, used < 23 {
            width.append(format[index])
            used += 1
            index += 1
        }
        while index < format.count, format[index] == "'" { grouping = true; index += 1 }
        return index
    }

    /// Formats one line for `item`; `operation` is "recv", "send" or "del.".
    func render(_ item: ItemizedChange, operation: String, deleted: Bool = false) -> String {
        var out = ""
        var index = 0
        while index < format.count {
            let character = format[index]
            index += 1
            guard character == "%", index < format.count else {
                out.append(character)
                continue
            }
            let start = index - 1
            var (leftAlign, grouping, widthText) = (false, false, "")
            index = Self.scanFlags(format, from: index, leftAlign: &leftAlign, grouping: &grouping, width: &widthText)
            guard index < format.count else { break }
            let letter = format[index]
            index += 1
            let number: (Int64) -> String = { value in
                grouping ? NumberFormat.integer(value, level: max(1, self.humanLevel)) : String(value)
            }
            var piece: String
            switch letter {
            case "n": piece = OutputEscaper.escape(item.displayName, highBytes: highBytes)
            case "f": piece = OutputEscaper.escape(item.name, highBytes: highBytes)
            case "L":
                if let leader = item.hardLinkLeader {
                    piece = " => " + OutputEscaper.escape(leader, highBytes: highBytes)
                } else if let target = item.symlinkTarget {
                    piece = " -> " + OutputEscaper.escape(target, highBytes: highBytes)
                } else {
                    piece = ""
                }
            case "i": piece = deleted ? "*deleting  " : item.itemizeString
            case "l": piece = number(item.size)
            case "b", "c": piece = number(item.bytesTransferred)
            case "o": piece = operation
            case "t": piece = Clock.format(epochSeconds: Clock.wallSeconds())
            case "M": piece = Clock.format(epochSeconds: item.mtime.seconds, separator: "-")
            case "p": piece = String(getpid())
            case "B": piece = PermissionString.render(item.permissions, kind: item.kind, withType: false)
            case "C":
                // rsync: blanks as wide as the sum where none is known (a directory, an unchanged file).
                piece = item.fileChecksum ?? String(repeating: " ", count: checksumWidth)
            case "U": piece = String(item.uid)
            case "G": piece = String(item.gid)
            case "%": piece = "%"
            default:
                // Not an escape (rsync leaves it as written, the letter too).
                out += String(format[start..<index])
                continue
            }
            if let width = Int(widthText), piece.count < width {
                let padding = String(repeating: " ", count: width - piece.count)
                piece = leftAlign ? piece + padding : padding + piece
            }
            out += piece
        }
        return out
    }
}

/// `ls -l`-style permission strings, as `--list-only` and `%B` print them.
enum PermissionString {
    static func render(_ mode: UInt32, kind: FileKind, withType: Bool = true) -> String {
        var text = ""
        if withType {
            switch kind {
            case .directory: text = "d"
            case .symlink: text = "l"
            case .characterDevice: text = "c"
            case .blockDevice: text = "b"
            case .fifo: text = "p"
            case .socket: text = "s"
            case .regular: text = "-"
            }
        }
        let letters: [Character] = ["r", "w", "x"]
        for shift in stride(from: 6, through: 0, by: -3) {
            for bit in 0..<3 {
                let set = mode & (1 << UInt32(shift + 2 - bit)) != 0
                text.append(set ? letters[bit] : "-")
            }
        }
        var chars = Array(text)
        let offset = withType ? 1 : 0
        if mode & 0o4000 != 0 { chars[offset + 2] = chars[offset + 2] == "x" ? "s" : "S" }
        if mode & 0o2000 != 0 { chars[offset + 5] = chars[offset + 5] == "x" ? "s" : "S" }
        if mode & 0o1000 != 0 { chars[offset + 8] = chars[offset + 8] == "x" ? "t" : "T" }
        return String(chars)
    }
}
