/// What kind of file an entry is; mirrors the `S_IFMT` bits of `st_mode`.
public enum FileKind: UInt8, Sendable {
    case regular, directory, symlink, characterDevice, blockDevice, fifo, socket

    public init(mode: UInt32) {
        switch mode & 0o170000 {
        case 0o040000: self = .directory
        case 0o120000: self = .symlink
        case 0o020000: self = .characterDevice
        case 0o060000: self = .blockDevice
        case 0o010000: self = .fifo
        case 0o140000: self = .socket
        default: self = .regular
        }
    }

    public var isDevice: Bool { self == .characterDevice || self == .blockDevice }
    public var isSpecial: Bool { self == .fifo || self == .socket }

    /// The type letter of an itemize line (`f`, `d`, `L`, `D`, `S`).
    public var itemizeLetter: UInt8 {
        switch self {
        case .regular: return UInt8(ascii: "f")
        case .directory: return UInt8(ascii: "d")
        case .symlink: return UInt8(ascii: "L")
        case .characterDevice, .blockDevice: return UInt8(ascii: "D")
        case .fifo, .socket: return UInt8(ascii: "S")
        }
    }
}

/// A modification time with nanoseconds.
public struct FileTime: Sendable, Equatable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int64

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func < (a: FileTime, b: FileTime) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanoseconds < b.nanoseconds
    }
}

/// The `lstat` facts the engine needs about one file.
public struct FileStatus: Sendable {
    public var mode: UInt32
    public var size: Int64
    public var mtime: FileTime
    public var uid: UInt32
    public var gid: UInt32
    public var device: UInt64
    public var inode: UInt64
    public var linkCount: UInt64
    public var rdev: UInt64
    /// Access time, whole seconds (rsync keeps no nanoseconds for `-U`).
    public var atime: Int64 = 0

    public init(
        mode: UInt32, size: Int64, mtime: FileTime, uid: UInt32, gid: UInt32,
        device: UInt64, inode: UInt64, linkCount: UInt64, rdev: UInt64
    ) {
        self.mode = mode
        self.size = size
        self.mtime = mtime
        self.uid = uid
        self.gid = gid
        self.device = device
        self.inode = inode
        self.linkCount = linkCount
        self.rdev = rdev
    }

    public var kind: FileKind { FileKind(mode: mode) }
    public var permissions: UInt32 { mode & 0o7777 }
}
