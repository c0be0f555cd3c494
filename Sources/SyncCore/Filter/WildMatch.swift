/// rsync's shell-style pattern matcher (`lib/wildmatch.c`) over raw bytes.
///
/// `*` matches any run of bytes except `/`; `**` also crosses `/`; `?` is one byte other than `/`; `[...]` is a
/// class (`!` or `^` negates, `a-z` ranges, `[:alpha:]` and the other POSIX names, ASCII only as in the C
/// locale; a class never matches `/`); a backslash makes the next byte literal. Matching never allocates: the
/// text is a virtual join of up to two buffers and two optional slashes, the way rsync's `wildmatch_array`
/// joins `strings[]`.
public enum WildMatch {
    /// Whether `pattern` matches all of `text` (rsync `wildmatch`).
    public static func matches(_ pattern: [UInt8], _ text: [UInt8]) -> Bool {
        pattern.withUnsafeBufferPointer { p in
            text.withUnsafeBufferPointer { t in
                doWild(p, 0, WildText(body: t), 0) == matchTrue
            }
        }
    }

    /// True when `pattern` contains `*`, `?` or `[`, so it needs the matcher rather than a byte comparison.
    public static func hasWildcards<C: Collection>(_ pattern: C) -> Bool where C.Element == UInt8 {
        pattern.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") }
    }

    static let matchTrue = 1
    static let matchFalse = 0
    static let abortAll = -1
    static let abortToStarStar = -2

    /// rsync `wildmatch_array`: `where` is 0 (whole text), > 0 (only the trailing `where` path elements) or
    /// < 0 (at the start or after any slash).
    static func matchArray(_ p: UnsafeBufferPointer<UInt8>, _ t: WildText, where position: Int) -> Bool {
        var start = 0
        if position > 0 {
            guard let s = trailingElementsStart(t, position) else { return false }
            start = s
        }
        var matched = doWild(p, 0, t, start)
        if matched != matchTrue && position < 0 && matched != abortAll {
            var ti = start
            while true {
                if ti >= t.count { return false }
                let c = t[ti]
                ti += 1
                if c == slash {
                    matched = doWild(p, 0, t, ti)
                    if matched != matchFalse && matched != abortToStarStar { break }
                }
            }
        }
        return matched == matchTrue
    }

    /// rsync `litmatch_array`: a pattern without wildcards compared byte for byte.
    static func literalArray(_ p: UnsafeBufferPointer<UInt8>, _ t: WildText, where position: Int) -> Bool {
        var start = 0
        if position > 0 {
            guard let s = trailingElementsStart(t, position) else { return false }
            start = s
        }
        if t.count - start != p.count { return false }
        var i = 0
        while i < p.count {
            if p[i] != t[start + i] { return false }
            i += 1
        }
        return true
    }

    /// rsync `trailing_N_elements`: where the last `count` slash-separated elements begin.
    @inline(__always)
    static func trailingElementsStart(_ t: WildText, _ count: Int) -> Int? {
        var remaining = count
        var i = t.count
        while i > 0 {
            i -= 1
            if t[i] == slash {
                remaining -= 1
                if remaining == 0 { return i + 1 }
            }
        }
        return remaining == 1 ? 0 : nil
    }

    static let slash = UInt8(ascii: "/")

    /// rsync `dowild`: 1 match, 0 no match, -1 abort everything, -2 abort back to the enclosing `**`.
    static func doWild(_ p: UnsafeBufferPointer<UInt8>, _ pStart: Int, _ t: WildText, _ tStart: Int) -> Int {
        @inline(__always) func at(_ i: Int) -> UInt8 { i < p.count ? p[i] : 0 }
        var pi = pStart
        var ti = tStart
        while pi < p.count {
            var pch = p[pi]
            let tch: UInt8
            if ti >= t.count {
                if pch != UInt8(ascii: "*") { return abortAll }
                tch = 0
            } else {
                tch = t[ti]
            }
            switch pch {
            case UInt8(ascii: "?"):
                if tch == slash { return matchFalse }
            case UInt8(ascii: "*"):
                pi += 1
                var special = false
                if at(pi) == UInt8(ascii: "*") {
                    while at(pi) == UInt8(ascii: "*") { pi += 1 }
                    special = true
                }
                if pi >= p.count {
                    // A trailing "**" matches everything; a trailing "*" only when no slash is left.
                    if !special {
                        var k = ti
                        while k < t.count {
                            if t[k] == slash { return matchFalse }
                            k += 1
                        }
                    }
                    return matchTrue
                }
                var tj = ti
                while tj < t.count {
                    let matched = doWild(p, pi, t, tj)
                    if matched != matchFalse {
                        if !special || matched != abortToStarStar { return matched }
                    } else if !special && t[tj] == slash {
                        return abortToStarStar
                    }
                    tj += 1
                }
                return abortAll
            case UInt8(ascii: "["):
                pi += 1
                pch = at(pi)
                if pch == UInt8(ascii: "^") { pch = UInt8(ascii: "!") }
                let negated = pch == UInt8(ascii: "!")
                if negated {
                    pi += 1
                    pch = at(pi)
                }
                var prev: UInt8 = 0
                var matched = false
                while true {
                    if pch == 0 { return abortAll }
                    if pch == UInt8(ascii: "\\") {
                        pi += 1
                        pch = at(pi)
                        if pch == 0 { return abortAll }
                        if tch == pch { matched = true }
                    } else if pch == UInt8(ascii: "-") && prev != 0 && at(pi + 1) != 0
                        && at(pi + 1) != UInt8(ascii: "]")
                    {
                        pi += 1
                        pch = at(pi)
                        if pch == UInt8(ascii: "\\") {
                            pi += 1
                            pch = at(pi)
                            if pch == 0 { return abortAll }
                        }
                        if tch <= pch && tch >= prev { matched = true }
                        pch = 0  // so that `prev` becomes 0
                    } else if pch == UInt8(ascii: "[") && at(pi + 1) == UInt8(ascii: ":") {
                        pi += 2
                        let s = pi
                        while at(pi) != 0 && at(pi) != UInt8(ascii: "]") { pi += 1 }
                        if at(pi) == 0 { return abortAll }
                        let length = pi - s - 1
                        if length < 0 || at(pi - 1) != UInt8(ascii: ":") {
                            // No ":]": treat the "[" as an ordinary member of the set.
                            pi = s - 2
                            pch = UInt8(ascii: "[")
                            if tch == pch { matched = true }
                        } else {
                            guard let isMember = CharacterClass.test(UnsafeBufferPointer(rebasing: p[s..<(s + length)]), tch)
                            else { return abortAll }
                            if isMember { matched = true }
                            pch = 0
                        }
                    } else if tch == pch {
                        matched = true
                    }
                    prev = pch
                    pi += 1
                    pch = at(pi)
                    if pch == UInt8(ascii: "]") { break }
                }
                if matched == negated || tch == slash { return matchFalse }
            case UInt8(ascii: "\\"):
                pi += 1
                pch = at(pi)
                if tch != pch { return matchFalse }
            default:
                if tch != pch { return matchFalse }
            }
            pi += 1
            ti += 1
        }
        return ti >= t.count ? matchTrue : matchFalse
    }
}

/// The POSIX class names rsync's wildmatch accepts inside `[...]`, evaluated as in the C locale.
enum CharacterClass {
    /// nil for an unknown class name (rsync then aborts the whole match).
    static func test(_ name: UnsafeBufferPointer<UInt8>, _ c: UInt8) -> Bool? {
        func named(_ s: StaticString) -> Bool {
            s.withUTF8Buffer { $0.elementsEqual(name) }
        }
        let upper = c >= 0x41 && c <= 0x5A
        let lower = c >= 0x61 && c <= 0x7A
        let digit = c >= 0x30 && c <= 0x39
        let space = c == 0x20 || (c >= 0x09 && c <= 0x0D)
        if named("alnum") { return upper || lower || digit }
        if named("alpha") { return upper || lower }
        if named("blank") { return c == 0x20 || c == 0x09 }
        if named("cntrl") { return c < 0x20 || c == 0x7F }
        if named("digit") { return digit }
        if named("graph") { return c > 0x20 && c < 0x7F }
        if named("lower") { return lower }
        if named("print") { return c >= 0x20 && c < 0x7F }
        if named("punct") { return c > 0x20 && c < 0x7F && !upper && !lower && !digit }
        if named("space") { return space }
        if named("upper") { return upper }
        if named("xdigit") { return digit || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
        return nil
    }
}

/// The text a pattern is matched against: `head`, an optional slash, `body`, an optional slash, joined
/// virtually (rsync passes the same pieces to `wildmatch_array` as a `strings[]` array).
struct WildText {
    let head: UnsafeBufferPointer<UInt8>
    let headSlash: Bool
    let body: UnsafeBufferPointer<UInt8>
    let tailSlash: Bool
    let bodyStart: Int
    let count: Int

    init(head: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0), headSlash: Bool = false,
        body: UnsafeBufferPointer<UInt8>, tailSlash: Bool = false)
    {
        self.head = head
        self.headSlash = headSlash
        self.body = body
        self.tailSlash = tailSlash
        bodyStart = head.count + (headSlash ? 1 : 0)
        count = bodyStart + body.count + (tailSlash ? 1 : 0)
    }

    @inline(__always)
    subscript(i: Int) -> UInt8 {
        if i >= bodyStart {
            let j = i - bodyStart
            return j < body.count ? body[j] : WildMatch.slash
        }
        return i < head.count ? head[i] : WildMatch.slash
    }
}
