import SyncTestSupport
import Testing
@testable import SyncCore

@Suite("Itemize formatting", .tags(.small))
struct ItemizeTests {
    @Test(arguments: [
        (ItemizeFlags([.transfer, .isNew]), FileKind.regular, ">f+++++++++"),
        ([.localChange, .isNew], .directory, "cd+++++++++"),
        ([.localChange, .isNew], .symlink, "cL+++++++++"),
        ([.transfer, .reportSize, .reportTime], .regular, ">f.st......"),
        ([.transfer, .reportTime], .regular, ">f..t......"),
        ([.reportTime], .directory, ".d..t......"),
        ([.reportPerms], .regular, ".f...p....."),
        ([.reportOwner, .reportGroup], .regular, ".f....og..."),
        ([.localChange, .hardLinkName], .regular, "hf         "),
        ([.localChange, .hardLinkName, .isNew], .regular, "hf+++++++++"),
        ([.localChange, .reportChange, .reportTime], .symlink, "cLc.t......"),
        ([.localChange, .reportTime, .timeIsTransferTime], .symlink, "cL..T......"),
        ([.transfer], .regular, ">f........."),
        ([], .directory, ".d         "),
        ([.transfer, .reportChange, .reportTime], .regular, ">fc.t......"),
    ] as [(ItemizeFlags, FileKind, String)])
    func rendersRsyncColumns(flags: ItemizeFlags, kind: FileKind, expected: String) {
        let item = ItemizedChange(name: Array("x".utf8), kind: kind, flags: flags)
        #expect(item.itemizeString == expected)
    }

    @Test func directoriesGetTrailingSlash() {
        let item = ItemizedChange(name: Array("a/b".utf8), kind: .directory, flags: [])
        #expect(item.displayName == Array("a/b/".utf8))
        let root = ItemizedChange(name: Array(".".utf8), kind: .directory, flags: [])
        #expect(root.displayName == Array("./".utf8))
    }
}

@Suite("Output escaping and numbers", .tags(.small))
struct OutputFormattingTests {
    @Test func escapesControlAndHighBytes() {
        #expect(OutputEscaper.escape(Array("plain name".utf8)) == "plain name")
        #expect(OutputEscaper.escape([0x61, 0x0A, 0x62]) == "a\\#012b")
        #expect(OutputEscaper.escape([0x61, 0x09, 0x62]) == "a\tb")
        #expect(OutputEscaper.escape(Array("é".utf8)) == "\\#303\\#251")
        #expect(OutputEscaper.escape(Array("é".utf8), highBytes: .keptWhenValidUTF8) == "é")
        #expect(OutputEscaper.escape([0xFF], highBytes: .keptWhenValidUTF8) == "\\#377")
    }

    @Test(arguments: [
        (Int64(0), 1, "0"), (999, 1, "999"), (1000, 1, "1,000"), (1_234_567, 1, "1,234,567"),
        (1_234_567, 0, "1234567"), (999, 2, "999"), (1500, 2, "1.50K"), (2_500_000, 2, "2.50M"),
        (1536, 3, "1.50K"), (1_073_741_824, 3, "1.00G"), (4095, 2, "4.09K"), (4105, 2, "4.11K"),
    ] as [(Int64, Int, String)])
    func formatsNumbersPerHumanLevel(value: Int64, level: Int, expected: String) {
        #expect(NumberFormat.integer(value, level: level) == expected)
    }

    @Test(arguments: [
        ("100", Int64(1), Int64?(100)), ("1K", 1, 1024), ("1KB", 1, 1000), ("1KiB", 1, 1024), ("2M", 1, 2_097_152),
        ("1.5k", 1, 1536), ("10", 1024, 10240), ("1G", 1, 1_073_741_824), ("abc", 1, nil), ("1Q", 1, nil),
        ("", 1, nil), ("1K+1", 1, 1025),
    ] as [(String, Int64, Int64?)])
    func parsesSizes(text: String, unit: Int64, expected: Int64?) {
        #expect(NumberFormat.parseSize(text, defaultUnit: unit) == expected)
    }

    @Test func fixedDecimals() {
        #expect(NumberFormat.fixed(0.02, places: 2) == "0.02")
        #expect(NumberFormat.fixed(1.005, places: 1) == "1.0")
        #expect(NumberFormat.fixedGrouped(1420, places: 2) == "1,420.00")
    }

    /// printf's rounding of the double's exact value, half to even, as rsync prints its figures.
    @Test(arguments: [
        (4.095, 2, "4.09"), (0.125, 2, "0.12"), (0.375, 2, "0.38"), (1.005, 2, "1.00"), (2.675, 2, "2.67"),
        (0.0015, 3, "0.002"), (0.0025, 3, "0.003"), (2.5, 0, "2"), (3.5, 0, "4"), (786.0, 2, "786.00"), (0.045, 3, "0.045"),
    ] as [(Double, Int, String)])
    func fixedRoundsAsPrintf(value: Double, places: Int, expected: String) {
        #expect(NumberFormat.fixed(value, places: places) == expected)
    }
}
