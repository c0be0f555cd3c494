import SyncTestSupport
import Testing
import SyncCore

/// The one precedence between the statuses of a run's parts and of its two sides (`ExitStatus.combined`).
@Suite("Exit status precedence", .tags(.small))
struct ExitStatusTests {
    @Test(arguments: [
        ([], SyncCore.ExitStatus.success),
        ([.success, .success], .success),
        ([.maxDelete, .vanished], .vanished),  // once 25 by RemoteRun.combine; a local run gives 24
        ([.vanished, .maxDelete], .vanished),
        ([.vanished, .partial], .partial),
        ([.partial, .maxDelete, .vanished], .partial),
        ([.partial, .signal], .signal),
        ([.fileIO, .partial], .fileIO),
        ([.success, .maxDelete], .maxDelete),
        ([.timeout, .streamIO], .timeout),  // the same rank: the first wins
        ([.streamIO, .timeout], .streamIO),
    ] as [([SyncCore.ExitStatus], SyncCore.ExitStatus)])
    func combinedTakesTheWorst(_ statuses: [SyncCore.ExitStatus], _ expected: SyncCore.ExitStatus) {
        #expect(statuses.reduce(SyncCore.ExitStatus.success) { .combined($0, $1) } == expected)
    }

    @Test func combinedOfManyIsTheFoldOfPairs() {
        #expect(SyncCore.ExitStatus.combined(.maxDelete, .vanished, .partial) == .partial)
        #expect(SyncCore.ExitStatus.combined(.success, .maxDelete) == .maxDelete)
    }
}
