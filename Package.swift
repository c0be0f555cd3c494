// swift-tools-version:6.0
import PackageDescription

/// swsync: an rsync-compatible sync tool.
///
/// Dependencies point inward: swsync → SwsyncCLI → SyncPlatform → SyncCore.
/// SyncCore is pure logic (no Glibc I/O); SyncPlatform is the POSIX file system.
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
        .target(name: "SyncCore", dependencies: ["CXXHash"]),
        .target(name: "CSyncShims"),
        .target(name: "SyncPlatform", dependencies: ["SyncCore", "CSyncShims"]),
        .target(name: "SwsyncCLI", dependencies: ["SyncCore", "SyncPlatform"]),
        .executableTarget(name: "swsync", dependencies: ["SwsyncCLI"]),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
        .testTarget(name: "SwsyncCLITests", dependencies: ["SwsyncCLI", "SyncCore"]),
        .testTarget(name: "SwsyncEndToEndTests", dependencies: []),
    ]
)
