// swift-tools-version:6.0
import PackageDescription

/// swsync: an rsync-compatible sync tool.
///
/// Dependencies point inward: swsync → SwsyncCLI → SyncPlatform → SyncCore.
/// SyncCore is pure logic (no Glibc I/O); SyncPlatform is the POSIX file system.
/// Release builds let each module specialize the generic code of the modules below it (the generator,
/// receiver and copy workers over `PosixFileSystem`): without it every call there goes through generic
/// metadata at run time. An initial copy of 100,000 files takes 8% less wall time and 15% less user CPU
/// (Docs/performance.md); a release build takes about 70 s longer.
let releaseSpecialization: [SwiftSetting] = [
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))
]

let package = Package(
    name: "swsync",
    products: [
        .executable(name: "swsync", targets: ["swsync"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibSSH",
            pkgConfig: "libssh",
            providers: [.apt(["libssh-dev"])]
        ),
        .target(name: "SyncCore", dependencies: ["CXXHash", "CZstd", "CZlib"], swiftSettings: releaseSpecialization),
        .target(name: "CSyncShims"),
        .target(name: "SyncPlatform", dependencies: ["SyncCore", "CSyncShims"], swiftSettings: releaseSpecialization),
        // The remote protocol's pure half: frames, hello, messages, file-list codec, path checks. No I/O.
        .target(name: "SyncProtocol", dependencies: ["SyncCore"], swiftSettings: releaseSpecialization),
        // --iconv: charset conversions of names through glibc's iconv, one typed wrapper.
        .target(name: "SyncCharset", swiftSettings: releaseSpecialization),
        // The remote-shell transports: libssh in process, or an external `-e` command over pipes.
        .target(name: "SyncSSH", dependencies: ["SyncCore", "CLibSSH"], swiftSettings: releaseSpecialization),
        // The remote roles: the connection to the peer, the sender, the receiving side, the server.
        .target(
            name: "SyncRemote", dependencies: ["SyncCore", "SyncProtocol", "SyncSSH", "SyncPlatform", "SyncCharset"],
            swiftSettings: releaseSpecialization),
        .target(
            name: "SwsyncCLI", dependencies: ["SyncCore", "SyncPlatform", "SyncRemote", "SyncSSH", "SyncCharset"],
            swiftSettings: releaseSpecialization),
        // A release binary carries the Swift runtime in itself: a process maps and relocates a few MiB
        // less than with libswiftCore and its companions loaded (Docs/performance.md, peak RSS), and the
        // binary runs on a peer without the toolchain's libraries.
        .executableTarget(
            name: "swsync", dependencies: ["SwsyncCLI", "CSyncShims"], swiftSettings: releaseSpecialization,
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]),
        // libFuzzer target for the delta decoders and patcher; see Scripts/fuzz-delta. A normal build gets a
        // plain `main` that replays input files, so it links without libFuzzer.
        .executableTarget(name: "DeltaFuzz", dependencies: ["SyncCore"]),
        // libFuzzer targets for what a peer or a rules file feeds swsync (frames, messages, file lists, filter
        // rules); see Scripts/fuzz. A normal build replays input files, as DeltaFuzz.
        .executableTarget(name: "ProtocolFuzz", dependencies: ["SyncProtocol", "SyncCore"]),
        // Scripts/bench-delta-engine: signature and delta throughput on one core.
        .executableTarget(name: "DeltaBench", dependencies: ["SyncCore"]),
        // What the test targets share: the one Tag set, an in-memory FileSystem and a recording observer
        // (a plain target under Tests/, as SwiftPM's own `_InternalTestSupport`).
        .target(name: "SyncTestSupport", dependencies: ["SyncCore"], path: "Tests/SyncTestSupport"),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore", "SyncTestSupport"]),
        .testTarget(name: "SyncProtocolTests", dependencies: ["SyncProtocol", "SyncCore", "SyncTestSupport"]),
        .testTarget(name: "SwsyncCLITests", dependencies: ["SwsyncCLI", "SyncCore", "SyncTestSupport"]),
        .testTarget(
            name: "SyncPlatformTests", dependencies: ["SyncPlatform", "SyncCore", "SyncTestSupport", "CSyncShims"]),
        .testTarget(
            name: "SwsyncEndToEndTests", dependencies: ["SyncTestSupport"], exclude: ["Support/hostile_peer.py", "Support/hostile_receiver.py"]),
        .testTarget(name: "SyncCharsetTests", dependencies: ["SyncCharset", "SyncTestSupport"]),
        .testTarget(name: "SyncSSHTests", dependencies: ["SyncSSH", "SyncCore", "SyncTestSupport"]),
    ]
)
