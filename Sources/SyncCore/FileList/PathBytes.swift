/// Helpers for paths held as raw bytes.
public enum PathBytes {
    public static let slash = UInt8(ascii: "/")
    public static let dot: [UInt8] = [UInt8(ascii: ".")]

    /// Joins two path pieces with one slash; an empty or "." side is dropped.
    @inlinable
    public static func join(_ base: [UInt8], _ name: [UInt8]) -> [UInt8] {
        if base.isEmpty || base == dot { return name }
        if name.isEmpty || name == dot { return base }
        var result = base
        result.reserveCapacity(base.count + name.count + 1)
        if result.last != slash { result.append(slash) }
        result.append(contentsOf: name)
        return result
    }

    /// How many bytes `join(base, name)` puts before `name`.
    public static func joinedPrefixLength(_ base: [UInt8]) -> Int {
        if base.isEmpty || base == dot { return 0 }
        return base.last == slash ? base.count : base.count + 1
    }

    /// `path` without its trailing slashes ("/" stays "/"): how rsync names a directory in messages.
    public static func trimmingTrailingSlashes(_ path: [UInt8]) -> [UInt8] {
        var end = path.count
        while end > 1 && path[end - 1] == slash { end -= 1 }
        return Array(path[0..<end])
    }

    /// The last component ("c" for "a/b/c", "c" for "a/b/c/").
    public static func lastComponent(_ path: [UInt8]) -> [UInt8] {
        var end = path.count
        while end > 1 && path[end - 1] == slash { end -= 1 }
        var start = end
        while start > 0 && path[start - 1] != slash { start -= 1 }
        return Array(path[start..<end])
    }

    /// Everything before the last component, or "." when there is none.
    public static func parent(_ path: [UInt8]) -> [UInt8] {
        var end = path.count
        while end > 1 && path[end - 1] == slash { end -= 1 }
        while end > 0 && path[end - 1] != slash { end -= 1 }
        while end > 1 && path[end - 1] == slash { end -= 1 }
        if end == 0 { return dot }
        return Array(path[0..<end])
    }

    /// `parent(path) == directory`, without making the parent (the generator asks it of every entry).
    public static func isChild(_ path: [UInt8], of directory: [UInt8]) -> Bool {
        var end = path.count
        while end > 1 && path[end - 1] == slash { end -= 1 }
        while end > 0 && path[end - 1] != slash { end -= 1 }
        while end > 1 && path[end - 1] == slash { end -= 1 }
        if end == 0 { return directory == dot }
        guard end == directory.count else { return false }
        // Over the buffers, from the end (siblings' paths differ last): a slice's generic `elementsEqual`
        // goes through an iterator.
        return path.withUnsafeBufferPointer { pathBytes in
            directory.withUnsafeBufferPointer { directoryBytes in
                var index = end
                while index > 0 {
                    index -= 1
                    if pathBytes[index] != directoryBytes[index] { return false }
                }
                return true
            }
        }
    }

    /// `path` with each `name/..` pair taken out by its spelling alone (rsync's `clean_fname` collapsing
    /// `..`), for a path whose directories need not exist yet; leading `..` components stay.
    public static func collapsingDotDot(_ path: [UInt8]) -> [UInt8] {
        let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]
        var kept: [[UInt8]] = []
        for component in components(path) {
            if component == dotDot, let last = kept.last, last != dotDot {
                kept.removeLast()
            } else {
                kept.append(component)
            }
        }
        let joined = Array(kept.joined(separator: [slash]))
        if path.first == slash { return [slash] + joined }
        return joined.isEmpty ? dot : joined
    }

    /// Path components, skipping empty ones and ".".
    public static func components(_ path: [UInt8]) -> [[UInt8]] {
        path.split(separator: slash, omittingEmptySubsequences: true).map(Array.init).filter { $0 != dot }
    }

    /// True when a symlink at `linkName` (relative to the transfer root) with `target` points outside
    /// the transfer (rsync `unsafe_symlink`): absolute targets, or `..` climbing above the root.
    public static func isUnsafeSymlink(target: [UInt8], linkName: [UInt8]) -> Bool {
        if target.isEmpty || target.first == slash { return true }
        // rsync 3.5: ".." is allowed only as the leading components; one after a name ("a/../b"), or a
        // target ending in "/..", is unsafe whatever the depth says.
        let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]
        var rest = target[...]
        while rest.starts(with: dotDot + [slash]) {
            rest = rest.dropFirst(3)
            while rest.first == slash { rest = rest.dropFirst() }
        }
        if rest.firstRange(of: [slash] + dotDot + [slash]) != nil { return true }
        if target.count > 3 && target.suffix(3).elementsEqual([slash] + dotDot) { return true }
        var depth = components(linkName).count - 1
        for component in target.split(separator: slash, omittingEmptySubsequences: true) {
            if component.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                depth -= 1
                if depth < 0 { return true }
            } else if !component.elementsEqual(dot) {
                depth += 1
            }
        }
        return false
    }

    public static func fromString(_ text: String) -> [UInt8] { Array(text.utf8) }
}
