import Glibc

/// `--iconv`: one side's charset for names, and its two conversions to and from the wire, where names
/// are UTF-8 (rsync's `setup_iconv` in `rsync.c`: `ic_send` = charset → UTF-8, `ic_recv` = UTF-8 →
/// charset).
public struct NameCharset: Sendable {
    /// rsync's `UTF8_CHARSET`.
    public static let wireCharset = "UTF-8"

    /// The charset as iconv names it ("." and "" resolved to the locale's).
    public let charset: String
    /// This side's names to the wire's UTF-8.
    public let toWire: CharsetConverter
    /// The wire's UTF-8 to this side's names.
    public let fromWire: CharsetConverter

    /// Why a side cannot use its charset: `iconv_open(TO, FROM)` refused it (rsync's exit 4).
    public struct OpenError: Error, Sendable, Equatable {
        public let to: String
        public let from: String
        /// rsync's line for it.
        public var message: String { "iconv_open(\"\(to)\", \"\(from)\") failed" }
    }

    /// Opens both conversions for `given` (`.` or empty: the locale's charset), the wire direction first,
    /// as rsync does.
    public init(_ given: String) throws(OpenError) {
        let charset = given.isEmpty || given == "." ? Self.localeCharset() : given
        do throws(CharsetError) {
            toWire = try CharsetConverter(from: charset, to: Self.wireCharset)
        } catch {
            throw OpenError(to: Self.wireCharset, from: charset)
        }
        do throws(CharsetError) {
            fromWire = try CharsetConverter(from: Self.wireCharset, to: charset)
        } catch {
            throw OpenError(to: charset, from: Self.wireCharset)
        }
        self.charset = charset
    }

    /// The locale's charset (`nl_langinfo(CODESET)` under the environment's `LC_CTYPE`), rsync's
    /// `default_charset`. Asked once (setlocale is process-wide); the process's own locale is left as it was.
    public static func localeCharset() -> String { locale }

    private static let locale: String = {
        let previous = setlocale(LC_CTYPE, nil).map { String(cString: $0) } ?? "C"
        _ = setlocale(LC_CTYPE, "")
        let name = String(cString: nl_langinfo(nl_item(CODESET)))
        _ = setlocale(LC_CTYPE, previous)
        return name
    }()
}

/// `--iconv=LOCAL,REMOTE` (or one CHARSET for both), split as rsync splits it: the client uses the part
/// before the comma and tells its peer the part after it; a server told `A,B` uses `B` (a local run's
/// receiving half). `-` (or `--no-iconv`) is no conversion.
public struct IconvSpec: Sendable, Equatable {
    /// This side's charset.
    public var local: String
    /// What the peer (or a local run's receiving half) is told.
    public var remote: String

    public init(local: String, remote: String) {
        self.local = local
        self.remote = remote
    }

    /// nil for `-` on a client (no conversion).
    public init?(_ text: String, isServer: Bool) {
        if !isServer && text == "-" { return nil }
        guard let comma = text.firstIndex(of: ",") else {
            (local, remote) = (text, text)
            return
        }
        let after = String(text[text.index(after: comma)...])
        (local, remote) = (isServer ? after : String(text[..<comma]), after)
    }
}
