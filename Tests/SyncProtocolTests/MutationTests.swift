import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

/// Flips, truncates and extends valid encodings at random: every decoder must throw or decode, never trap,
/// hang or allocate beyond its limits.
@Suite("Mutation", .tags(.small))
struct MutationTests {
    /// A deterministic generator so a failure reproduces.
    typealias SplitMix = SplitMix64

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            case 3:
                bytes += (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            case 4 where !bytes.isEmpty:
                bytes.insert(0xFF, at: Int.random(in: 0..<bytes.count, using: &rng))
            default:
                if !bytes.isEmpty { bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng)) }
            }
        }
        return bytes
    }

    @Test func messageStreams() {
        var rng = SplitMix(seed: 0x5357_5359_4E43)
        let valid = sampleMessages.map { encodeAll([$0]) } + [encodeAll(sampleMessages)]
        var outcomes = (decoded: 0, threw: 0)
        for round in 0..<20_000 {
            let input = Self.mutate(valid[round % valid.count], &rng)
            var tracker = FileListTracker()
            do {
                for message in try decodeAll(input, step: 1 + round % 13) {
                    if case .fileListChunk(let chunk) = message { _ = try tracker.accept(chunk) }
                }
                outcomes.decoded += 1
            } catch is ProtocolError {
                outcomes.threw += 1
            } catch {
                Issue.record("unexpected error type \(error)")
            }
        }
        #expect(outcomes.decoded > 0 && outcomes.threw > 0)
    }

    /// A mutated payload either throws a `ProtocolError` or decodes to a message of the type it was
    /// decoded as, whose own encoding decodes back to the same message (the decoder accepts nothing it
    /// could not have been sent). Both outcomes happen: the mutations reach past the first check.
    @Test func payloadsOfEveryType() {
        var rng = SplitMix(seed: 42)
        var outcomes = (decoded: 0, threw: 0)
        for round in 0..<20_000 {
            let message = sampleMessages[round % sampleMessages.count]
            let payload = Self.mutate(message.encodePayload(), &rng)
            let type = Int.random(in: 0..<4, using: &rng) == 0 ? MessageType.allCases.randomElement(using: &rng)! : message.type
            let decoded: Message
            do {
                decoded = try Message.decode(type: type, payload: payload)
            } catch {
                #expect(!error.message.isEmpty, "a \(type) payload was refused without a reason")
                outcomes.threw += 1
                continue
            }
            outcomes.decoded += 1
            #expect(decoded.type == type, "a \(type) payload decoded as \(decoded.type)")
            #expect(
                (try? Message.decode(type: decoded.type, payload: decoded.encodePayload())) == decoded,
                "round \(round): \(decoded) does not survive its own encoding")
        }
        #expect(outcomes.decoded > 0 && outcomes.threw > 0)
    }

    @Test func hellos() {
        var rng = SplitMix(seed: 7)
        let valid = Hello().encode()
        for _ in 0..<20_000 {
            var decoder = HelloDecoder()
            decoder.feed(Self.mutate(valid, &rng))
            do {
                if try decoder.next() == nil { try decoder.finishInput() }
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func randomBytesNeverAllocateBeyondTheFrameLimit() throws {
        var rng = SplitMix(seed: 99)
        for _ in 0..<5_000 {
            var decoder = MessageDecoder(limits: ProtocolLimits(maxFramePayload: 16 * 1024))
            let junk = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            decoder.feed(junk)
            do {
                while try decoder.next() != nil {}
                #expect(decoder.frames.bufferedCount <= junk.count)
            } catch {}
        }
    }
}
