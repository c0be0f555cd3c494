/// What this build can do, as rsync 3.5's `-VV` reports it: the same keys, swsync's true values, so a
/// script (or rsync's own test suite) that asks before it relies on a feature gets a straight answer.
enum Capabilities {
    /// Each capability rsync names, in rsync's order, with whether swsync has it. ACL_at: received ACLs
    /// are written through a descriptor of the entry itself, never by path (`PosixSecurityAttributes`).
    static let features: [(name: String, value: String)] = [
        ("file_bits", "64"), ("inum_bits", "64"), ("timestamp_bits", "64"), ("long_int_bits", "64"),
        ("socketpairs", "false"), ("symlinks", "true"), ("symtimes", "true"), ("hardlinks", "true"),
        ("hardlink_specials", "false"), ("hardlink_symlinks", "true"), ("IPv6", "true"), ("atimes", "true"),
        ("batchfiles", "true"), ("inplace", "true"), ("append", "true"), ("ACLs", "true"), ("ACL_at", "true"),
        ("xattrs", "true"), ("secluded_args", "\"optional\""), ("iconv", "true"), ("prealloc", "true"),
        ("stop_at", "true"), ("crtimes", "false"),
    ]
    static let checksums = ["xxh128", "xxh3", "xxh64"]
    static let compressors = ["zstd", "zlib", "none"]

    static func json(version: String) -> String {
        func list(_ items: [String]) -> String { "[\n    " + items.map { "\"\($0)\"" }.joined(separator: ", ") + "\n  ]" }
        let features = features.map { "\"\($0.name)\": \($0.value)" }.joined(separator: ", ")
        return """
            {
              "program": "swsync",
              "version": "\(version)",
              "protocol": "swsync",
              "capabilities": {
                \(features)
              },
              "optimizations": {
                "SIMD_roll": false, "asm_roll": false, "openssl_crypto": false, "asm_MD5": false
              },
              "checksum_list": \(list(checksums)),
              "compress_list": \(list(compressors)),
              "daemon_auth_list": [],
              "caveat": "swsync comes with ABSOLUTELY NO WARRANTY"
            }

            """
    }
}
