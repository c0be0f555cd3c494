import Glibc
import Synchronization
import SyncCore
import SyncPlatform
import SyncRemote

/// Reads what the filter options name before anything is transferred: the rules (with
/// `--include-from`/`--exclude-from`/`merge` files and `-C`'s environment) and the `--files-from` list.
/// Any problem here stops the run before it touches the destination, as rsync's option parsing does.
enum FilterSetup {
    /// The rules of the command line, or nil when there are none (built as a remote server builds them).
    static func makeFilterList(options: SyncOptions, sources: [[UInt8]]) throws(SyncError) -> FilterList? {
        try RunFilters.makeList(options: options, sources: sources) { (path) throws(SyncError) in
            try readRulesFile(path, trust: options.symlinkTrust)
        }
    }

    /// Standard input as a rules file or a `--files-from` list, read once: a remote run reads its rules
    /// twice (for its own list and for the peer's setup), and a pull its list (for its rules and the setup).
    private static let standardInput = Mutex<[UInt8]?>(nil)

    /// Standard input's whole content, read at the first call.
    private static func readStandardInput() throws(SystemCallError) -> [UInt8] {
        if let content = standardInput.withLock({ $0 }) { return content }
        let content = try PosixFileSystem.readAll(0, path: Array("-".utf8))
        standardInput.withLock { $0 = content }
        return content
    }

    /// Reads a rules file named on the command line ("-": standard input); nil when it does not exist.
    static func readRulesFile(_ path: [UInt8], trust: SymlinkTrust) throws(SyncError) -> [UInt8]? {
        do throws(SystemCallError) {
            if path == [UInt8(ascii: "-")] { return try readStandardInput() }
            return try PosixFileSystem(trust: trust).readOperatorFile(path)
        } catch {
            if error.errno == ENOENT { return nil }
            if error.refusal == .untrustedSymlink { printUntrustedSymlinkWarning() }
            throw SyncError(.fileIO, "failed to open filter file \(OutputEscaper.escape(path)): \(error.errnoText) (\(error.errno))",
                cause: error)
        }
    }

    /// `--files-from`: the source arguments the list stands for, each under the one source directory
    /// (with `/./` before the listed name, so `-R` keeps just that name). `forwarded`: the list goes to
    /// the peer (a pull's), so it is read as rsync's server reads one from its client
    /// (`FileListNames.forwardedEntries`).
    static func expandFilesFrom(_ list: String, source: [UInt8], options: SyncOptions, forwarded: Bool = false)
        throws(SyncError) -> [[UInt8]]
    {
        let content = try readFilesFrom(list, options: options)
        let entries = forwarded
            ? FileListNames.forwardedEntries(content, fromZero: options.fromZero)
            : FileListNames.entries(content, fromZero: options.fromZero)
        return sources(listed: entries, under: source, options: options)
    }

    /// The bytes of a `--files-from` list on this machine ("-": standard input), under the operator-path rule.
    static func readFilesFrom(_ list: String, options: SyncOptions) throws(SyncError) -> [UInt8] {
        let path = Array(list.utf8)
        do throws(SystemCallError) {
            return path == [UInt8(ascii: "-")]
                ? try readStandardInput()
                : try PosixFileSystem(trust: options.symlinkTrust).readOperatorFile(path)
        } catch {
            if error.refusal == .untrustedSymlink { printUntrustedSymlinkWarning() }
            throw SyncError(.syntax, "failed to open files-from file \(list): \(error.errnoText)")
        }
    }

    /// The source arguments for the names of a `--files-from` list, each under `source`.
    static func sources(listed entries: [[UInt8]], under source: [UInt8], options: SyncOptions) -> [[UInt8]] {
        var base = source
        while base.count > 1 && base.last == PathBytes.slash { base.removeLast() }
        var arguments: [[UInt8]] = []
        let dotSlash = Array("/./".utf8)
        for line in entries {
            // An entry's own "/./" (rsync: "from/./dir") marks where its -R name starts, below the list's
            // directory; the part before it is only the way there.
            if options.relative, let mark = line.firstRange(of: dotSlash) {
                let head = FileListNames.clean(Array(line[..<mark.lowerBound]))
                let tail = FileListNames.clean(Array(line[mark.upperBound...]))
                guard head != PathBytes.dot else { continue }
                arguments.append(base + [PathBytes.slash] + head + dotSlash + (tail.isEmpty ? PathBytes.dot : tail))
                continue
            }
            let name = FileListNames.clean(line)
            guard !name.isEmpty else { continue }
            let joiner = options.relative ? dotSlash : [PathBytes.slash]
            arguments.append(base + joiner + name)
        }
        return arguments
    }
}

/// Where `--files-from` reads its list (rsync `options.c`: `check_for_hostspec` on the option's value):
/// here, or on the remote end of the transfer (`HOST:FILE`; `:FILE` names the remote end, whatever it is).
enum FilesFromLocation: Equatable {
    /// A file on this machine, or "-" for standard input.
    case local(String)
    /// A file on the remote end; `host` (`USER@` included, as rsync compares it) is empty for `:FILE`.
    case remote(host: String, path: String)

    init(_ value: String) {
        // rsync splits off a host as for an operand; `HOST::FILE` names the file after both colons.
        let host = HostSpec(value)
        guard host.isRemote, !value.lowercased().hasPrefix("rsync://") else {
            self = .local(value)
            return
        }
        var path = value.utf8.dropFirst(host.host.utf8.count + 1)
        if host.isDaemon { path = path.dropFirst() }
        self = .remote(host: host.host, path: String(decoding: path, as: UTF8.self))
    }

    /// The list is read on the remote end.
    var isRemote: Bool { if case .remote = self { true } else { false } }

    /// rsync's refusals of a remote list on this command line (exit 1), checked before anything starts:
    /// a local transfer, or a host that is not the remote end (`transferHost`, `USER@` included).
    func refusal(transferHost: String?) -> String? {
        guard case .remote(let host, _) = self else { return nil }
        guard let transferHost else { return "--files-from cannot be remote when the transfer is local" }
        if !host.isEmpty && host != transferHost { return "--files-from hostname is not the same as the transfer hostname" }
        return nil
    }
}

/// rsync's reading of a `--files-from` list.
enum FileListNames {
    /// The entries of a list read from a file here: lines (or NUL-separated with `--from0`), without blank
    /// ones and `;`/`#` comments (rsync 3.5 skips those with `--from0` too). A line ends at a NUL, as
    /// rsync's C string does.
    static func entries(_ content: [UInt8], fromZero: Bool) -> [[UInt8]] {
        let separator: UInt8 = fromZero ? 0 : UInt8(ascii: "\n")
        return content.split(separator: separator, omittingEmptySubsequences: true).compactMap { piece in
            var line = Array(piece.prefix { $0 != 0 })
            if !fromZero, line.last == UInt8(ascii: "\r") { line.removeLast() }
            if line.isEmpty || line[0] == UInt8(ascii: "#") || line[0] == UInt8(ascii: ";") {
                return nil
            }
            return line
        }
    }

    /// The entries of a list that crossed the connection (a pull's own list, a push's `--files-from=host:FILE`),
    /// as rsync's sender reads one from the socket: the list's CR and LF (without `--from0`) and its NULs end
    /// a name, blank names are dropped, and `#`/`;` lines are names like any other (rsync 3.5.0 skips
    /// comments only in a list it reads from a file itself). No name holds a NUL, whatever the peer sends.
    static func forwardedEntries(_ content: [UInt8], fromZero: Bool) -> [[UInt8]] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        let separated = fromZero ? content : content.map { $0 == cr || $0 == lf ? 0 : $0 }
        return separated.split(separator: 0, omittingEmptySubsequences: true).map { Array($0) }
    }

    /// Leading slashes removed and `..` resolved so the name cannot climb above the source directory;
    /// a trailing slash is kept (it asks for the directory's contents).
    static func clean(_ name: [UInt8]) -> [UInt8] {
        // "." names the source directory itself (rsync sends its contents' entry, "./").
        if name == PathBytes.dot || name == [UInt8(ascii: "."), PathBytes.slash] { return PathBytes.dot }
        var parts: [[UInt8]] = []
        for part in name.split(separator: PathBytes.slash, omittingEmptySubsequences: true) {
            if part.elementsEqual(PathBytes.dot) { continue }
            if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(Array(part))
        }
        var result = parts.joined(separator: [PathBytes.slash]).map { $0 }
        if !result.isEmpty && name.last == PathBytes.slash { result.append(PathBytes.slash) }
        return result
    }
}

/// rsync's warning for a refused operator path, on stderr before the error it leads to.
func printUntrustedSymlinkWarning() {
    let line = BufferedOutput(descriptor: 2)
    line.writeLine(OperatorPathRefusal.untrustedSymlinkWarning)
    line.flush()
}
