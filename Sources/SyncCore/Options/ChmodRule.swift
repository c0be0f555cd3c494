/// One item of rsync's `--chmod` list, such as `D755`, `F644`, `u+x`, `g-w`, `Da=rX`.
public struct ChmodRule: Sendable, Equatable {
    public enum Target: Sendable, Equatable { case all, directories, files }
    public enum Operation: Sendable, Equatable {
        case set(UInt32)  // octal: replaces all permission bits
        case symbolic(who: UInt32, op: UInt8, bits: UInt32, conditionalExecute: Bool)
    }
    public var target: Target
    public var operation: Operation

    /// Parses a comma-separated `--chmod` value; returns nil when any item is malformed.
    public static func parseList(_ text: String) -> [ChmodRule]? {
        var rules: [ChmodRule] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            var chars = Array(item.utf8)
            var target = Target.all
            if let first = chars.first, first == UInt8(ascii: "D") || first == UInt8(ascii: "F") {
                target = first == UInt8(ascii: "D") ? .directories : .files
                chars.removeFirst()
            }
            guard !chars.isEmpty else { return nil }
            if chars.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }) {
                guard chars.count <= 4 else { return nil }
                var value: UInt32 = 0
                for c in chars { value = value * 8 + UInt32(c - UInt8(ascii: "0")) }
                rules.append(ChmodRule(target: target, operation: .set(value)))
                continue
            }
            // Symbolic: [ugoa]*([-+=][rwxXst]*)+
            var index = 0
            var who: UInt32 = 0
            while index < chars.count {
                switch chars[index] {
                case UInt8(ascii: "u"): who |= 0o4700
                case UInt8(ascii: "g"): who |= 0o2070
                case UInt8(ascii: "o"): who |= 0o1007
                case UInt8(ascii: "a"): who |= 0o7777
                default: break
                }
                if "ugoa".utf8.contains(chars[index]) { index += 1 } else { break }
            }
            guard index < chars.count else { return nil }
            while index < chars.count {
                let op = chars[index]
                guard op == UInt8(ascii: "+") || op == UInt8(ascii: "-") || op == UInt8(ascii: "=") else { return nil }
                index += 1
                var bits: UInt32 = 0
                var conditional = false
                while index < chars.count, !"+-=".utf8.contains(chars[index]) {
                    switch chars[index] {
                    case UInt8(ascii: "r"): bits |= 0o444
                    case UInt8(ascii: "w"): bits |= 0o222
                    case UInt8(ascii: "x"): bits |= 0o111
                    case UInt8(ascii: "X"): conditional = true
                    case UInt8(ascii: "s"): bits |= 0o6000
                    case UInt8(ascii: "t"): bits |= 0o1000
                    default: return nil
                    }
                    index += 1
                }
                rules.append(
                    ChmodRule(
                        target: target,
                        operation: .symbolic(who: who, op: op, bits: bits, conditionalExecute: conditional)))
            }
        }
        return rules.isEmpty ? nil : rules
    }

    /// Applies a list of rules to the permission bits of a file or directory.
    public static func apply(_ rules: [ChmodRule], to mode: UInt32, isDirectory: Bool) -> UInt32 {
        var result = mode & 0o7777
        for rule in rules {
            switch rule.target {
            case .directories where !isDirectory: continue
            case .files where isDirectory: continue
            default: break
            }
            switch rule.operation {
            case .set(let value):
                result = value
            case .symbolic(let who, let op, var bits, let conditional):
                if conditional && (isDirectory || result & 0o111 != 0) { bits |= 0o111 }
                // With no who, rsync (like chmod) applies to all, without umask masking for --chmod.
                let mask = who == 0 ? 0o7777 : who
                let effective = bits & mask
                switch op {
                case UInt8(ascii: "+"): result |= effective
                case UInt8(ascii: "-"): result &= ~effective
                default:
                    let cleared = who == 0 ? UInt32(0o7777) : who & 0o0777 | (who & 0o7000)
                    result = (result & ~cleared) | effective
                }
            }
        }
        return result
    }
}
