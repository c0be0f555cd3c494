/// `--shard=K/N` (swsync's own): which part of a transfer this run does, so that N runs started by a
/// job runner (GNU parallel, a Slurm array, a Kubernetes Indexed Job) together do one sync.
///
/// The unit of work is a top-level entry: an entry of the transfer root's listing, with everything below
/// it. Its owner is `XXH64(name, seed 0) mod N + 1`, over the name's bytes. The hash is xxHash's
/// published function, not Swift's `Hasher` (seeded per process), so every shard, on any machine and in
/// either role of a remote run, agrees; `xxhsum -H1` computes the same digest. Nothing below the top
/// level is split, so a `-H` group inside one top-level directory stays in one shard.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// K: this run's part, from 1.
    public let index: Int
    /// N: how many parts the transfer is split into.
    public let count: Int

    /// Why a `--shard` value is refused; the command line turns it into a syntax error (exit 1).
    public enum ParseError: Error, Equatable {
        /// Not two decimal numbers around one `/`.
        case notKOverN
        /// N is 0.
        case noShards
        /// K is 0, or above N.
        case indexOutOfRange
    }

    public init(index: Int, count: Int) throws(ParseError) {
        guard count >= 1 else { throw .noShards }
        guard (1...count).contains(index) else { throw .indexOutOfRange }
        self.index = index
        self.count = count
    }

    /// Reads `K/N`: decimal digits only (no sign, spaces or empty parts), so no value means two things.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Self.decimal(parts[0]), let n = Self.decimal(parts[1]) else {
            throw .notKOverN
        }
        try self.init(index: k, count: n)
    }

    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return nil
        }
        return Int(text)  // nil when it overflows
    }

    public var description: String { "\(index)/\(count)" }

    /// The shard (1...N) that owns the top-level entry `name` (an instance's N, which is never 0).
    public func owner(of name: [UInt8]) -> Int {
        Int(Self.hash(name) % UInt64(count)) + 1
    }

    /// XXH64 of the name's bytes with seed 0.
    static func hash(_ name: [UInt8]) -> UInt64 {
        name.withUnsafeBytes { ChecksumChoice.xxh64.digest($0).low }
    }

    /// Whether this shard sends, and may delete, the top-level entry `name`.
    public func owns(_ name: [UInt8]) -> Bool {
        count == 1 || owner(of: name) == index
    }

    /// Whether the entry `name` of the directory `directory` (relative to the transfer root, "" for the
    /// root) belongs to another shard: only the root's own entries are divided.
    public func leavesOut(_ name: [UInt8], in directory: [UInt8]) -> Bool {
        directory.isEmpty && !owns(name)
    }

    /// The names of `directory` (as `leavesOut`) this shard lists: all of them below the root.
    public func keeping(_ names: [[UInt8]], in directory: [UInt8]) -> [[UInt8]] {
        directory.isEmpty ? names.filter(owns) : names
    }
}
