import SyncCore
import SyncTestSupport
import Testing
@testable import SyncProtocol

@Suite("Hello", .tags(.small))
struct HelloTests {
    @Test func roundTripAtEveryByteBoundary() throws {
        let hello = Hello(capabilities: [.zstd, .xxh128, .hardLinks], maxFramePayload: 1 << 20, maxOutstandingRequests: 8)
        let frames: [UInt8] = [0x30, 0, 0, 0, 0, 0]
        let bytes = hello.encode() + frames
        #expect(Array(bytes.prefix(8)) == Hello.magic)
        for cut in 0...bytes.count {
            var decoder = HelloDecoder()
            decoder.feed(bytes[..<cut])
            var got = try decoder.next()
            if got == nil {
                decoder.feed(bytes[cut...])
                got = try decoder.next()
                #expect(decoder.remainder == frames)
            }
            #expect(got == hello, "cut at \(cut)")
        }
    }

    @Test func negotiation() throws {
        let local = Hello(capabilities: [.zstd, .zlib, .xxh128], maxFramePayload: 64 * 1024, maxOutstandingRequests: 32)
        let remote = Hello(version: 3, minimumVersion: 1, capabilities: Capabilities(rawValue: 0xFFFF_0000_0000_0001 | 4),
            maxFramePayload: 1 << 20, maxOutstandingRequests: 100)
        let session = try Session(local: local, remote: remote, required: [.zstd])
        #expect(session.version == 1)
        #expect(session.capabilities == [.zstd, .xxh128])
        #expect(session.sendFramePayload == 1 << 20)
        #expect(session.receiveFramePayload == 64 * 1024)
        #expect(session.window == 32)
        expectProtocolError(.missingCapability) { _ = try Session(local: local, remote: remote, required: [.zlib]) }
    }

    @Test func versionMismatch() throws {
        let local = Hello()
        let newer = Hello(version: 5, minimumVersion: 4)
        expectProtocolError(.versionMismatch) { _ = try Session(local: local, remote: newer) }
        expectProtocolError(.versionMismatch) { _ = try Session(local: newer, remote: local) }
        do {
            _ = try Session(local: local, remote: newer)
        } catch {
            #expect(error.message.contains("we speak 1...1, the peer speaks 4...5"))
            #expect(error.syncError.status == .protocolIncompatibility)
        }
        // A hello whose own range is inverted.
        var decoder = HelloDecoder()
        decoder.feed(Hello(version: 1, minimumVersion: 2).encode())
        expectProtocolError(.versionMismatch) { _ = try decoder.next() }
    }

    @Test(arguments: [
        ("Welcome to Ubuntu 22.04 LTS\n", "Welcome to Ubuntu 22.04 LTS"),
        ("stdin: is not a tty\r\nmore\n", "stdin: is not a tty"),
        ("bash: line 1: swsync: command not found\n", "bash: line 1: swsync: command not found"),
        ("\u{1B}[1mbold\n", "\\#033[1mbold"),
    ])
    func bannerBeforeHello(banner: String, line: String) throws {
        var decoder = HelloDecoder()
        decoder.feed(Array(banner.utf8) + Hello().encode())
        do {
            _ = try decoder.next()
            Issue.record("banner accepted")
        } catch {
            #expect(error.code == .garbageBeforeHello)
            #expect(error.message.hasPrefix("protocol version mismatch -- is your shell clean?"))
            #expect(error.message.contains("\"\(line)\""), "\(error.message)")
            #expect(error.syncError.status == .protocolIncompatibility)
        }
    }

    @Test func garbageWaitsForItsLineThenReports() throws {
        var decoder = HelloDecoder()
        decoder.feed(Array("Last login: Mon".utf8))
        #expect(try decoder.next() == nil)
        decoder.feed(Array(" Jan 1\nSWSYNC".utf8))
        expectProtocolError(.garbageBeforeHello) { _ = try decoder.next() }
        // Without a newline, at end of input or after the line limit.
        var eof = HelloDecoder()
        eof.feed(Array("This account is currently not available.".utf8))
        #expect(try eof.next() == nil)
        expectProtocolError(.garbageBeforeHello) { try eof.finishInput() }
        var long = HelloDecoder()
        long.feed([UInt8](repeating: UInt8(ascii: "x"), count: HelloDecoder.garbageLineLimit))
        expectProtocolError(.garbageBeforeHello) { _ = try long.next() }
    }

    @Test func badHellos() throws {
        var empty = HelloDecoder()
        expectProtocolError(.truncated) { try empty.finishInput() }
        #expect(try empty.next() == nil)
        var partial = HelloDecoder()
        partial.feed(Hello().encode().dropLast())
        #expect(try partial.next() == nil)
        expectProtocolError(.truncated) { try partial.finishInput() }
        // Body length out of range.
        for length: [UInt8] in [[0, 0], [3, 0], [0x01, 0x04], [0xFF, 0xFF]] {
            var d = HelloDecoder()
            d.feed(Hello.magic + length)
            expectProtocolError(.malformed) { _ = try d.next() }
        }
        // Frame payload and window outside what a hello may ask for.
        for bad in [Hello(maxFramePayload: 100), Hello(maxFramePayload: 1 << 30), Hello(maxOutstandingRequests: 0),
            Hello(maxOutstandingRequests: 1 << 20)]
        {
            var d = HelloDecoder()
            d.feed(bad.encode())
            expectProtocolError(.limitExceeded) { _ = try d.next() }
        }
        // A body that ends inside a field.
        var short = HelloDecoder()
        short.feed(Hello.magic + [4, 0, 1, 1, 0x80, 0x80])
        expectProtocolError(.truncated) { _ = try short.next() }
    }

    @Test func laterVersionsMayAppendFields() throws {
        var bytes = Hello().encode()
        let extra: [UInt8] = [7, 7, 7]
        let length = Int(bytes[8]) + extra.count
        bytes[8] = UInt8(length)
        bytes += extra
        var decoder = HelloDecoder()
        decoder.feed(bytes)
        #expect(try decoder.next() == Hello())
    }
}
