import SyncCore

/// How rsync reads one operand of the command line (rsync `main.c`, `check_for_hostspec`): a local name,
/// `[USER@]HOST:PATH` over the remote shell, or an rsync daemon (`[USER@]HOST::MODULE/PATH`,
/// `rsync://[USER@]HOST[:PORT]/MODULE/PATH`).
///
/// The host part ends at the first `:` or `/`; a `/` first (`./a:b`, `dir/a:b`, `/abs/a:b`) or no colon at all
/// makes the name local. An IPv6 address is written in brackets right after the optional `USER@`
/// (`[::1]:path`); a bracket anywhere else, an empty pair, or anything but `:` or `/` after the closing bracket
/// makes the name local, as in rsync. An empty host (`:path`, `::module`) means the host of the first source.
enum HostSpec: Equatable, Sendable {
    case local
    /// `[USER@]HOST:PATH`; `host` keeps the `USER@` part, as rsync compares the whole of it.
    case shell(host: String)
    /// `[USER@]HOST::MODULE` or `rsync://...`.
    case daemon(host: String)

    init(_ argument: String) {
        let bytes = Array(argument.utf8)
        let scheme = Array("rsync://".utf8)
        if bytes.count >= scheme.count, bytes[..<scheme.count].map(Self.lowercased) == scheme {
            // rsync falls back to reading a malformed URL (`rsync://h:abc/m`) as a remote-shell host named
            // "rsync"; any rsync:// operand is meant for a daemon, so it is read as one here.
            let rest = Array(bytes[scheme.count...])
            let end = Self.hostEnd(rest) ?? rest.firstIndex { $0 == UInt8(ascii: ":") || $0 == PathBytes.slash }
            self = .daemon(host: String(decoding: rest[..<(end ?? rest.count)], as: UTF8.self))
            return
        }
        guard let end = Self.hostEnd(bytes), end < bytes.count, bytes[end] == UInt8(ascii: ":") else {
            self = .local
            return
        }
        let host = String(decoding: bytes[..<end], as: UTF8.self)
        let isDaemon = end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: ":")
        self = isDaemon ? .daemon(host: host) : .shell(host: host)
    }

    var isRemote: Bool { self != .local }
    var isDaemon: Bool { if case .daemon = self { true } else { false } }

    /// The whole host part, `USER@` included (empty for `:path`).
    var host: String {
        switch self {
        case .local: ""
        case .shell(let host), .daemon(let host): host
        }
    }

    /// Where the `[USER@]HOST` part of `bytes` ends (at a `:`, a `/` or the end), or nil when it is not a
    /// well-formed host: a bracket that does not open the host, or a bad `[ADDRESS]`.
    private static func hostEnd(_ bytes: [UInt8]) -> Int? {
        var hostStart = 0
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: ":"), PathBytes.slash:
                return index
            case UInt8(ascii: "@"):
                hostStart = index + 1
            case UInt8(ascii: "["):
                guard index == hostStart,
                    let close = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "]") || $0 == PathBytes.slash }),
                    bytes[close] == UInt8(ascii: "]"), close > index + 1
                else { return nil }
                let next = close + 1
                guard next == bytes.count || bytes[next] == UInt8(ascii: ":") || bytes[next] == PathBytes.slash else {
                    return nil
                }
                return next
            default:
                break
            }
            index += 1
        }
        return bytes.count
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}

/// The shape of a whole command line's operands, checked as rsync checks them before it starts anything
/// (rsync `main.c`, `start_client`): which end is remote, and over what.
enum Operands {
    enum Remote: Equatable, Sendable {
        case none, shell, daemon
    }

    /// Why rsync refuses a set of operands: exit 1, and rsync prints these lines without its name.
    struct Refusal: Error, Equatable, Sendable {
        var lines: [String]
    }

    /// What kind of remote end `operands` name (the last is the destination when there are two or more),
    /// or rsync's refusal of a mix it cannot run.
    static func remote(_ operands: [String]) throws(Refusal) -> Remote {
        guard let first = operands.first else { return .none }
        let firstSpec = HostSpec(first)
        if operands.count == 1 { return kind(firstSpec) }
        let sources = operands.dropLast()
        let destination = HostSpec(operands.last!)
        if firstSpec.isRemote {
            if destination.isRemote { throw Refusal(lines: ["The source and destination cannot both be remote."]) }
            for argument in sources.dropFirst() {
                let spec = HostSpec(argument)
                guard spec.isRemote else {
                    throw Refusal(lines: ["Unexpected local arg: \(argument)",
                        "If arg is a remote file/dir, prefix it with a colon (:)."])
                }
                if !spec.host.isEmpty && spec.host != firstSpec.host {
                    throw Refusal(lines: ["All source args must come from the same machine."])
                }
                if spec.isDaemon != firstSpec.isDaemon {
                    throw Refusal(lines: ["All source args must use the same hostspec format."])
                }
            }
            return kind(firstSpec)
        }
        if let remote = sources.first(where: { HostSpec($0).isRemote }) {
            throw Refusal(lines: ["Unexpected remote arg: \(remote)"])
        }
        return kind(destination)
    }

    private static func kind(_ spec: HostSpec) -> Remote {
        switch spec {
        case .local: .none
        case .shell: .shell
        case .daemon: .daemon
        }
    }
}
