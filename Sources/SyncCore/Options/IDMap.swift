/// rsync's `--usermap`/`--groupmap` (and `--chown`, which is made of them): `FROM:TO,...`, the first rule
/// that matches an owner decides. FROM is an id, a range of ids (`low-high`), a name or a wildcard
/// pattern of names (`*` matches every owner); TO a name or an id on the receiving side.
public struct IDMap: Sendable {
    public enum Source: Sendable, Equatable {
        case ids(ClosedRange<UInt32>)
        case name([UInt8])
        case pattern([UInt8])
    }

    public struct Rule: Sendable {
        public var source: Source
        /// TO as given, and the id it names on this side once resolved.
        public var target: [UInt8]
        public var id: UInt32?
    }

    public private(set) var rules: [Rule]
    /// The owner's name for name rules (the sending side's names, as this side knows them).
    public var nameOf: (@Sendable (UInt32) -> [UInt8]?)?

    /// Parses `text` with rsync's checks and messages (`option` is "usermap" or "groupmap").
    public init(parsing text: String, option: String) throws(SyncError) {
        var rules: [Rule] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = item.firstIndex(of: ":") else {
                throw SyncError(.syntax, "No colon found in --\(option): \(item)", isPrefixed: false)
            }
            let from = item[..<colon]
            let to = item[item.index(after: colon)...]
            guard !to.isEmpty else { throw SyncError(.syntax, "No name found after colon --\(option): \(item)", isPrefixed: false) }
            let source: Source
            if let first = from.first, first.isASCII && first.isNumber {
                let parts = from.split(separator: "-", omittingEmptySubsequences: false)
                guard from.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), parts.count <= 2,
                    let low = UInt32(parts[0]), let high = parts.count == 2 ? UInt32(parts[1]) : low, low <= high
                else {
                    throw SyncError(.syntax, "Invalid number in --\(option): \(from)", isPrefixed: false)
                }
                source = .ids(low...high)
            } else if from.contains(where: { "*[?".contains($0) }) {
                source = .pattern(Array(from.utf8))
            } else {
                source = .name(Array(from.utf8))
            }
            rules.append(Rule(source: source, target: Array(to.utf8), id: nil))
        }
        self.rules = rules
    }

    /// Resolves each rule's TO on this side (a name, or an id); a name unknown here drops its rule,
    /// with rsync's message.
    public mutating func resolve(option: String, lookup: ([UInt8]) -> UInt32?, report: (String) -> Void) {
        rules = rules.compactMap { rule in
            var rule = rule
            if let number = UInt32(String(decoding: rule.target, as: UTF8.self)) {
                rule.id = number
            } else if let found = lookup(rule.target) {
                rule.id = found
            } else {
                report("Unknown --\(option) name on receiver: \(String(decoding: rule.target, as: UTF8.self))")
                return nil
            }
            return rule
        }
    }

    /// The id `id` maps to; nil when no rule matches it.
    public func map(_ id: UInt32) -> UInt32? {
        var name: [UInt8]??
        for rule in rules {
            switch rule.source {
            case .ids(let range):
                if range.contains(id) { return rule.id }
            case .name(let wanted):
                if name == nil { name = nameOf?(id) }
                // An empty FROM is rsync's rule for an owner without a name.
                if (name! ?? []) == wanted { return rule.id }
            case .pattern(let pattern):
                if name == nil { name = nameOf?(id) }
                // An owner without a name is matched as an empty one, so `*` takes every owner.
                if WildMatch.matches(pattern, name! ?? []) { return rule.id }
            }
        }
        return nil
    }
}
