/// `-y/--fuzzy`: for a file the destination lacks, a basis for the delta among the other files of its
/// destination directory (`-yy`: also the same directory in each reference directory). A file with the
/// same size and time wins outright; otherwise the nearest name, by rsync's weighted edit distance with
/// the suffixes weighed ten times more, if it is near enough. The same scoring as rsync's, so the same
/// basis is picked and the same bytes are matched.
public enum FuzzyBasis {
    /// A regular file that may serve as the basis.
    public struct Candidate {
        public var name: [UInt8]
        public var size: Int64
        public var mtime: FileTime
        public var location: FileLocation
        public var path: [UInt8]
        /// As `--debug=FUZZY` names it: relative to the transfer root, or below its reference directory.
        public var shownName: [UInt8] = []

        public init(name: [UInt8], size: Int64, mtime: FileTime, location: FileLocation, path: [UInt8]) {
            self.name = name
            self.size = size
            self.mtime = mtime
            self.location = location
            self.path = path
        }
    }

    static let unit: UInt32 = 1 << 16
    /// A distance that rules a candidate out before the suffixes are compared.
    static let disqualified: UInt32 = 0xFFFF_0000

    /// The candidate to use for a file named `name` (a base name) of `size` bytes and time `mtime`; the
    /// lists in order (the destination directory's first), each in file-list order. Among equal
    /// distances the last one seen wins, as in rsync.
    public static func choose(for name: [UInt8], size: Int64, mtime: FileTime, modifyWindow: Int64,
        in lists: [[Candidate]]) -> Candidate?
    {
        for list in lists {
            for candidate in list where candidate.size == size
                && abs(candidate.mtime.seconds - mtime.seconds) <= modifyWindow
            {
                return candidate
            }
        }
        let nameSuffix = suffix(of: name)
        var lowest: UInt32 = 25 << 16
        var best: Candidate?
        for list in lists {
            for candidate in list {
                var score = distance(candidate.name[...], name[...], upperLimit: lowest)
                if score < disqualified {
                    score &+= distance(suffix(of: candidate.name), nameSuffix, upperLimit: disqualified) &* 10
                }
                if score <= lowest {
                    lowest = score
                    best = candidate
                }
            }
        }
        return best
    }

    /// rsync's weighted edit distance: a substitution costs a unit plus how far apart the two bytes are,
    /// an insertion or deletion a unit plus the byte's value; each cell takes the diagonal or the
    /// neighbour that is the smaller of its two (rsync's choice, kept so the same basis is picked). A
    /// length difference beyond `upperLimit` gives up at once.
    static func distance(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>, upperLimit: UInt32) -> UInt32 {
        let difference = UInt32(abs(a.count - b.count))
        if difference &* unit > upperLimit { return 0xFFFF &* unit &+ 1 }
        if a.isEmpty || b.isEmpty {
            let other = a.isEmpty ? b : a
            // rsync sums the bytes as (signed) chars.
            let sum = other.reduce(Int64(0)) { $0 + Int64(Int8(bitPattern: $1)) }
            return UInt32(truncatingIfNeeded: Int64(other.count) * Int64(unit) + sum)
        }
        var row = (1...b.count).map { UInt32($0) &* unit }
        for (i, byteA) in a.enumerated() {
            var diagonal = UInt32(i) &* unit
            var above = UInt32(i + 1) &* unit
            for (j, byteB) in b.enumerated() {
                let left = row[j]
                let substitution: UInt32 = byteA == byteB ? 0 : unit &+ UInt32(abs(Int(byteA) - Int(byteB)))
                let fromDiagonal = diagonal &+ substitution
                let fromLeft = left &+ unit &+ UInt32(byteA)
                let fromAbove = above &+ unit &+ UInt32(byteB)
                let value = left < above ? min(fromLeft, fromDiagonal) : min(fromAbove, fromDiagonal)
                row[j] = value
                above = value
                diagonal = left
            }
        }
        return row[b.count - 1]
    }

    /// The suffix that counts for the distance (rsync's `find_filename_suffix`): leading dots are not one,
    /// a trailing `~` is ignored, a last `.bak`, `.old` or `.orig` (and `.~N~`) is skipped for the one
    /// before it, and an all-digit suffix gives way to a more telling one before it.
    static func suffix(of name: [UInt8]) -> ArraySlice<UInt8> {
        let dot = UInt8(ascii: ".")
        let full = name[...]
        var start = full.startIndex
        while start < full.endIndex && full[start] == dot { start += 1 }
        var end = full.endIndex
        let hadTilde = end - start > 1 && full[end - 1] == UInt8(ascii: "~")
        if hadTilde { end -= 1 }
        var found: ArraySlice<UInt8> = []
        var scan = end
        while end - start > 1 {
            var position = scan - 1
            while position > start && full[position] != dot { position -= 1 }
            if position == start { break }
            let candidate = full[position..<end]
            end = position
            scan = position
            // Skipped only as the name's very last part (rsync compares up to the name's end).
            let rest = full[(position + 1)...]
            if candidate.count == 4 && (rest.elementsEqual("bak".utf8) || rest.elementsEqual("old".utf8)) { continue }
            if candidate.count == 5 && rest.elementsEqual("orig".utf8) { continue }
            if candidate.count > 2 && hadTilde && full[position + 1] == UInt8(ascii: "~")
                && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(full[position + 2])
            {
                continue
            }
            found = candidate
            if candidate.count == 1 { break }
            if !candidate.dropFirst().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) { return found }
        }
        return found
    }
}
