#if canImport(Glibc)
import Glibc
#endif
import SyncCore

// Fuzz target for the delta wire decoders and the patcher (Scripts/fuzz-delta builds it with libFuzzer).
//
// Input layout: byte 0 picks the target; the rest is fed to it.
//   0: SignatureCodec.decode, then a delta generated against whatever signature decoded
//   1: DeltaCodec.decode against a fixed signature, then the patcher on a fixed basis
//   2: DeltaDecoder fed in pieces whose sizes come from the input
//   3: zstd and zlib decompressors
//
// A normal build has no libFuzzer, so this file also has an `@main` that replays the files named on the
// command line (a corpus or a crash reproducer). Scripts/fuzz-delta sets -DDELTA_FUZZ, which drops it so
// libFuzzer's own `main` drives LLVMFuzzerTestOneInput. (The file is not main.swift because SwiftPM
// compiles fuzzer builds with -parse-as-library, where top-level code does not parse even under #if.)

let fixedBasis: [UInt8] = (0..<2000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 3) }
let fixedSignature = fixedBasis.withUnsafeBytes { Signature.make(basis: $0, checksum: .xxh128, blockLength: 64) }

func fuzzOne(_ data: UnsafeRawBufferPointer) {
    guard let selector = data.first else { return }
    let body = Array(data.dropFirst())
    switch selector % 4 {
    case 0:
        guard let signature = try? SignatureCodec.decode(body) else { return }
        let new = Array(body.suffix(512))
        _ = new.withUnsafeBytes { DeltaGenerator.delta(signature: signature, newFile: $0) }
    case 1:
        guard let (instructions, trailer) = try? DeltaCodec.decode(body, signature: fixedSignature) else { return }
        _ = try? DeltaPatcher.patch(basis: fixedBasis, signature: fixedSignature, instructions: instructions,
            trailer: trailer)
    case 2:
        let decoder = DeltaDecoder(expecting: nil, checksum: nil)
        var index = 0
        while index < body.count {
            let n = min(body.count - index, Int(body[index] & 0x1f) + 1)
            let fed = body[index..<index + n].withUnsafeBytes { piece in Result { try decoder.feed(piece) } }
            guard (try? fed.get()) != nil else { return }
            index += n
            while let event = try? decoder.next() { _ = event }
        }
    default:
        for choice in CompressionChoice.allCases {
            guard let decompressor = try? choice.makeDecompressor() else { continue }
            var produced = 0
            _ = body.withUnsafeBytes { raw in
                Result { try decompressor.decompress(raw) { produced += $0.count } }
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzOne(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if !DELTA_FUZZ
/// Replays the files named on the command line through the fuzz target.
@main
enum DeltaFuzzReplay {
    static func main() {
        var replayed = 0
        for path in CommandLine.arguments.dropFirst() {
            guard let bytes = readWholeFile(path) else {
                print("DeltaFuzz: cannot read \(path)")
                exit(1)
            }
            bytes.withUnsafeBytes { fuzzOne($0) }
            replayed += 1
        }
        print("DeltaFuzz: replayed \(replayed) input(s) without a crash")
    }
}
#endif
