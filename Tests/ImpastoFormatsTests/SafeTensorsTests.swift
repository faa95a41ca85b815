import Foundation
import ImpastoFormats
import ImpastoTensor
import Testing

@Suite struct SafeTensorsTests {
    @Test func loadsFixtureExactly() throws {
        let url = Fixtures.url("tensors.safetensors")
        expectFixtureTensors(try SafeTensors.load(contentsOf: url))
        #expect(try SafeTensors.metadata(contentsOf: url) == ["format": "pt", "source": "make_format_fixtures.py"])
    }

    @Test func roundTrips() throws {
        let scratch = try ScratchDirectory()
        var tensors = try SafeTensors.load(contentsOf: Fixtures.url("tensors.safetensors"))
        tensors["scalar"] = Tensor(2.5)
        let url = scratch.url.appendingPathComponent("out.safetensors")
        try SafeTensors.write(["stale": Tensor(1)], to: url)
        try SafeTensors.write(tensors, metadata: ["note": "round trip"], to: url)

        let loaded = try SafeTensors.load(contentsOf: url)
        #expect(Set(loaded.keys) == Set(tensors.keys))
        for (name, tensor) in tensors {
            #expect(loaded[name]?.shape == tensor.shape, "\(name)")
            #expect(loaded[name]?.scalars == tensor.scalars, "\(name)")
        }
        #expect(try SafeTensors.metadata(contentsOf: url) == ["note": "round trip"])
        // The header keeps the data 8-byte aligned, and nothing but the file is left behind.
        let headerLength = try Data(contentsOf: url).prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["out.safetensors"])
    }

    @Test func reportsWriteFailures() throws {
        let scratch = try ScratchDirectory()
        let tensors = ["x": Tensor(1)]
        let inMissingDirectory = scratch.url.appendingPathComponent("missing/out.safetensors")
        let underFile = try scratch.file("file", Data()).appendingPathComponent("out.safetensors")
        for url in [inMissingDirectory, underFile] {
            let error = expectFileError(url) { try SafeTensors.write(tensors, to: url) }
            #expect({ if case .writeFailed? = error { true } else { false } }(), "\(String(describing: error))")
        }
        #expect(throws: ImpastoError.self) {
            try SafeTensors.write(["__metadata__": Tensor(1)], to: scratch.url.appendingPathComponent("m.safetensors"))
        }
    }

    @Test func reportsTruncation() throws {
        let scratch = try ScratchDirectory()
        let bytes = try Fixtures.data("tensors.safetensors")
        let half = try scratch.file("half.safetensors", bytes.prefix(bytes.count / 2))
        #expect(isUnreadable(expectFileError(half) { try SafeTensors.load(contentsOf: half) }))
        for length in cutLengths(bytes.count) {
            let cut = try scratch.file("cut.safetensors", bytes.prefix(length))
            expectFileError(cut) { try SafeTensors.load(contentsOf: cut) }
        }
    }

    /// A safetensors file with header `json` and `dataLength` zero bytes of data.
    private func file(_ json: String, dataLength: Int, headerLength: UInt64? = nil, in scratch: ScratchDirectory) throws -> URL {
        var bytes = withUnsafeBytes(of: (headerLength ?? UInt64(json.utf8.count)).littleEndian) { Data($0) }
        bytes.append(Data(json.utf8))
        bytes.append(Data(count: dataLength))
        return try scratch.file("bad.safetensors", bytes)
    }

    @Test(arguments: [
        ("not json", 0),
        ("[1, 2]", 0),
        (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#, 4),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8),
        (#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 8),
        (#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#, 0),
        (#"{"a": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}"#, 1),
        (#"{"a": {"dtype": "F32", "shape": [1]}}"#, 4),
        (#"{"__metadata__": {"n": 1}}"#, 0),
    ])
    func rejectsBadHeader(json: String, dataLength: Int) throws {
        let scratch = try ScratchDirectory()
        let url = try file(json, dataLength: dataLength, in: scratch)
        #expect(isInvalid(expectFileError(url) { try SafeTensors.load(contentsOf: url) }))
    }

    @Test func rejectsImplausibleSizes() throws {
        let scratch = try ScratchDirectory()
        let huge = try file("{}", dataLength: 0, headerLength: 1 << 40, in: scratch)
        #expect(isInvalid(expectFileError(huge) { try SafeTensors.load(contentsOf: huge) }))
        let short = try file("{}", dataLength: 0, headerLength: 100, in: scratch)
        #expect(isUnreadable(expectFileError(short) { try SafeTensors.load(contentsOf: short) }))
        let beyondData = try file(#"{"a": {"dtype": "F32", "shape": [100], "data_offsets": [0, 400]}}"#, dataLength: 16, in: scratch)
        #expect(isUnreadable(expectFileError(beyondData) { try SafeTensors.load(contentsOf: beyondData) }))
        let png = try scratch.file("image.png", pngBytes)
        #expect(isInvalid(expectFileError(png) { try SafeTensors.load(contentsOf: png) }))
    }
}
