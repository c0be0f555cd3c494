/// `--skip-compress=LIST`: file suffixes sent with compression minimised (rsync `token.c`,
/// `add_nocompress_suffixes` and `set_compression`).
///
/// Matching follows rsync: take the name after the last `/`, then the suffix after its last `.`; a name whose
/// only dot is its first character (".gz") or that ends in a dot has no suffix. Suffixes compare without
/// regard to ASCII case. A list entry may hold letter classes such as `mp[34]`; `*` and `?` are ordinary
/// characters, as the rsync man page says. (rsync's suffix tree treats a one-letter class `[a]` and `[]` as
/// literal text; we treat `[a]` as the class and `[]` or an unclosed `[` as a literal `[`.)
public struct SkipCompressList: Sendable, Equatable {
    /// rsync 3.5.0's default list (checked against `man rsync`).
    public static let rsyncDefaultSuffixes: [String] = """
        3g2 3gp 7z aac ace apk avi bz2 deb dmg ear f4v flac flv gpg gz iso jar jpeg jpg lrz lz lz4 lzma lzo \
        m1a m1v m2a m2ts m2v m4a m4b m4p m4r m4v mka mkv mov mp1 mp2 mp3 mp4 mpa mpeg mpg mpv mts odb odf odg \
        odi odm odp ods odt oga ogg ogm ogv ogx opus otg oth otp ots ott oxt png qt rar rpm rz rzip spx \
        squashfs sxc sxd sxg sxm sxw sz tbz tbz2 tgz tlz ts txz tzo vob war webm webp xz z zip zst
        """.split(separator: " ").map(String.init)

    public static let rsyncDefault = SkipCompressList(suffixes: rsyncDefaultSuffixes)

    /// Each pattern is a sequence of letter sets (one per suffix character), lowercased.
    private let patterns: [[Set<UInt8>]]

    /// Parses a `--skip-compress` value: suffixes separated by `/`; empty entries are ignored, so "" skips nothing.
    public init(option list: String) {
        self.init(suffixes: list.split(separator: "/", omittingEmptySubsequences: true).map(String.init))
    }

    public init(suffixes: [String]) {
        patterns = suffixes.map { Self.compile(Array($0.utf8)) }.filter { !$0.isEmpty }
    }

    /// True when `fileName` (a name or path, raw bytes) has a suffix in the list.
    public func matches(fileName: [UInt8]) -> Bool {
        let name = fileName.lastIndex(of: UInt8(ascii: "/")).map { fileName[($0 + 1)...] } ?? fileName[...]
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")), dot != name.startIndex else { return false }
        let suffix = name[(dot + 1)...].map(Self.lower)
        guard !suffix.isEmpty else { return false }
        return patterns.contains { pattern in
            pattern.count == suffix.count && zip(pattern, suffix).allSatisfy { $0.contains($1) }
        }
    }

    private static func compile(_ text: [UInt8]) -> [Set<UInt8>] {
        var result: [Set<UInt8>] = []
        var i = 0
        while i < text.count {
            if text[i] == UInt8(ascii: "["), let close = text[(i + 1)...].firstIndex(of: UInt8(ascii: "]")),
                close > i + 1
            {
                result.append(Set(text[(i + 1)..<close].map(lower)))
                i = close + 1
            } else {
                result.append([lower(text[i])])
                i += 1
            }
        }
        return result
    }

    private static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

/// Whether to compress `fileName`'s data under `-z`: false when its suffix is in the skip list.
public func shouldCompress(fileName: [UInt8], skipList: SkipCompressList = .rsyncDefault) -> Bool {
    !skipList.matches(fileName: fileName)
}
