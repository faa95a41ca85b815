import Foundation
@testable import ImpastoFormats
import Testing

/// A pickle can make a container that holds itself; reference counting alone would never free it, so every
/// such file would leak (libFuzzer's leak checker found one in a fuzzed checkpoint). Releasing the arena
/// breaks the cycle and the containers go.
@Suite struct PickleCycleTests {
    /// `d = {}; d["self"] = d` and `l = []; l.append(l)`, pickled with protocol 2.
    static let selfContaining: [[UInt8]] = [
        [128, 2, 125, 113, 0, 88, 4, 0, 0, 0, 115, 101, 108, 102, 113, 1, 104, 0, 115, 46],
        [128, 2, 93, 113, 0, 104, 0, 97, 46],
    ]

    @Test(arguments: selfContaining)
    func selfContainingContainersAreFreedWhenTheArenaIsReleased(bytes: [UInt8]) throws {
        weak var container: AnyObject?
        try {
            let arena = PickleArena()
            let value = try bytes.withUnsafeBytes { buffer in
                var reader = ByteReader(buffer, part: "a test pickle")
                return try Unpickler.load(&reader, arena: arena)
            }
            switch value {
            case let .dict(dict): container = dict; #expect(dict.items.count == 1)
            case let .list(list): container = list; #expect(list.items.count == 1)
            default: Issue.record("not a container: \(value)")
            }
            arena.release()
        }()
        #expect(container == nil, "the self-containing container outlived its arena")
    }
}
