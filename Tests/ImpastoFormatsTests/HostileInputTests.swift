import Foundation
import ImpastoFormats
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// The loaders' limits, in process (the release binary runs the whole corpus in HostileCorpusTests).
@Suite struct HostileInputTests {
    static func corpus(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Corpus/\(name)")
    }

    /// A bare protocol-2 pickle of `body` in a scratch file (read through the legacy-checkpoint path,
    /// which unpickles it whole before finding no magic number).
    static func pickle(_ body: [UInt8], in scratch: ScratchDirectory) throws -> URL {
        try scratch.file("bomb.pkl", Data([0x80, 0x02] + body + [0x2E]))
    }

    @Test func numpyScalarsAndPlainValuesBesideTensorsAreSkipped() throws {
        let tensors = try TorchCheckpoint.load(contentsOf: Self.corpus("accepted/ckpt-zip-numpy-scalars-and-python-values.pt"))
        #expect(Set(tensors.keys) == ["model.w", "model.b"])
        #expect(tensors["model.w"]?.shape == [2, 2] && tensors["model.w"]?.scalars == [1, 2, 3, 4])
        #expect(tensors["model.b"]?.scalars == [3, 4])
        let numpy1 = try TorchCheckpoint.load(contentsOf: Self.corpus("accepted/ckpt-zip-numpy1-scalar.pt"))
        #expect(numpy1["w"]?.scalars == [1, 2, 3, 4] && numpy1.count == 1)
    }

    @Test func globalsThatRunCodeAreStillRefused() throws {
        let scratch = try ScratchDirectory()
        // _codecs.encode is allowed for latin-1 bytes only; numpy.load is not a scalar.
        let rot13 = try Self.pickle(Self.global("_codecs", "encode") + Self.text("abc") + Self.text("rot13") + [0x86, 0x52], in: scratch)
        #expect(isInvalid(expectFileError(rot13) { try TorchCheckpoint.load(contentsOf: rot13) }))
        let load = try Self.pickle(Self.global("numpy", "load") + Self.text("x") + [0x85, 0x52], in: scratch)
        #expect(expectFileError(load) { try TorchCheckpoint.load(contentsOf: load) }
            == .forbiddenPickleGlobal(path: load.path, global: "numpy.load"))
    }

    @Test func deepNestingIsRefusedAsItIsBuilt() throws {
        let scratch = try ScratchDirectory()
        // 10⁶ tuples, each holding the one before.
        let tuples = try Self.pickle([0x29] + [UInt8](repeating: 0x85, count: 1_000_000), in: scratch)
        let error = expectFileError(tuples) { try TorchCheckpoint.load(contentsOf: tuples) }
        #expect(error?.description.contains("nests containers more than \(TorchCheckpoint.maximumNesting) deep") == true)
    }

    /// Lists and dicts filled after they are nested can grow deeper than the nesting limit sees; what
    /// they make must still be freed without recursion (10⁵ nested deinits overflow the stack).
    @Test(arguments: ["lists", "dicts"])
    func containersFilledAfterNestingAreFreedIteratively(kind: String) throws {
        // The first container is memo 1. Each level: a new container, memo 0, added to the one below
        // (APPEND, or SETITEM under the key None), POP, then GET 0 makes the new one the one below.
        let level: [UInt8] = kind == "lists" ? [0x5D, 0x71, 0x00, 0x61, 0x30, 0x68, 0x00]
            : [0x4E, 0x7D, 0x71, 0x00, 0x73, 0x30, 0x68, 0x00]
        var body: [UInt8] = [kind == "lists" ? 0x5D : 0x7D, 0x71, 0x01]
        for _ in 0..<100_000 { body += level }
        body += [0x30, 0x68, 0x01] // the first container, 10⁵ deep, is the pickle's value
        let scratch = try ScratchDirectory()
        let url = try Self.pickle(body, in: scratch)
        #expect(isInvalid(expectFileError(url) { try TorchCheckpoint.load(contentsOf: url) }))
    }

    @Test func sharedDictionariesCannotMultiplyTheWalk() throws {
        let url = Self.corpus("refused/ckpt-zip-dag-dicts-64.pt")
        let error = expectFileError(url) { try TorchCheckpoint.load(contentsOf: url) }
        #expect(error?.description.contains("more than \(TorchCheckpoint.maximumEntries) entries") == true)
    }

    @Test func expansionAndTensorSizeAreLimited() throws {
        let expanded = Self.corpus("refused/ckpt-zip-stride0-1gib-from-16-bytes.pt")
        let expansion = expectFileError(expanded) { try TorchCheckpoint.load(contentsOf: expanded) }
        #expect(expansion?.description.contains("more than \(TorchCheckpoint.maximumExpansion) times the file's size") == true)
        for name in ["refused/ckpt-zip-stride0-64gib.pt", "refused/ckpt-zip-stride0-wrapping-bytes.pt",
                     "refused/st-shape-overflows-int.safetensors", "refused/st-zero-size-huge-dims.safetensors"] {
            let url = Self.corpus(name)
            let error = expectFileError(url) { try WeightFile.load(contentsOf: url) }
            #expect(error?.description.contains("\(WeightFile.maximumTensorBytes >> 30) GiB") == true, "\(name)")
        }
        // Within the limits, a broadcast view and tied weights load as torch.load gives them.
        let legal = try TorchCheckpoint.load(contentsOf: Self.corpus("accepted/ckpt-zip-stride0-and-tied.pt"))
        #expect(legal["expanded"]?.shape == [256, 4] && legal["expanded"]?.scalars == Array(repeating: 2, count: 1024))
        #expect(legal["tied.a"]?.scalars == [1, 2, 3, 4] && legal["tied.b"]?.scalars == [1, 2, 3, 4])
    }

    @Test func onlyRegularFilesAreRead() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.url.appendingPathComponent("weights.safetensors")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let loaders: [(URL) throws -> Any] = [
            { try WeightFile.load(contentsOf: $0) }, { try SafeTensors.load(contentsOf: $0) },
            { try TorchCheckpoint.load(contentsOf: $0) }, { try SafeTensors.metadata(contentsOf: $0) },
        ]
        for load in loaders {
            for path in [fifo.path, "/dev/zero"] {
                let url = URL(fileURLWithPath: path)
                #expect(expectFileError(url) { try load(url) }
                    == .unreadableFile(path: path, reason: "it is not a regular file (a device, FIFO or socket)"))
            }
            #expect(expectFileError(scratch.url) { try load(scratch.url) }
                == .unreadableFile(path: scratch.url.path, reason: "Is a directory"))
        }
    }

    static func text(_ value: String) -> [UInt8] {
        [0x58] + withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian, Array.init) + Array(value.utf8)
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }
}
