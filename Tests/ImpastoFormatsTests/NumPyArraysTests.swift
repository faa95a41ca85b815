import Foundation
import ImpastoFormats
import ImpastoTensor
import Testing

// arrays.npz and stored.npz: scripts/make_npz_fixtures.py (numpy.savez_compressed and numpy.savez).

@Test func readsNpzArchivesOfEveryCommonType() throws {
    let arrays = try NumPyArrays.loadArchive(contentsOf: Fixtures.url("arrays.npz"))
    #expect(Set(arrays.keys) == ["weights/W", "weights/b", "counts", "scalar", "empty", "half"])
    #expect(arrays["weights/W"]?.shape == [2, 3])
    #expect(arrays["weights/W"]?.scalars == [0, 0.25, 0.5, 0.75, 1, 1.25])
    #expect(arrays["weights/b"]?.scalars == [0.5, -1, 1e30])
    #expect(arrays["counts"]?.shape == [2, 2])
    #expect(arrays["counts"]?.converted(to: .f32).scalars == [1, -2, 3, 4])
    #expect(arrays["scalar"]?.shape == [])
    #expect(arrays["scalar"]?.converted(to: .f32).scalars == [7])
    #expect(arrays["empty"]?.shape == [0, 5])
    #expect(arrays["half"]?.converted(to: .f32).scalars == [1.5, -2])
    #expect(try NumPyArrays.loadArchive(contentsOf: Fixtures.url("stored.npz"))["x"]?.scalars == [1, 2, 3, 4])
}

@Test func everyCutOfAnNpzIsOneSentence() throws {
    let bytes = try Fixtures.data("arrays.npz")
    let scratch = try ScratchDirectory()
    for length in cutLengths(bytes.count) {
        let cut = try scratch.file("cut-\(length).npz", bytes.prefix(length))
        let error = expectFileError(cut) { try NumPyArrays.loadArchive(contentsOf: cut) }
        #expect(isUnreadable(error) || isInvalid(error), "\(length) bytes: \(String(describing: error))")
    }
}

/// An .npy file with header `header` (padded as NumPy pads it) followed by `data`.
private func npy(_ header: String, _ data: [UInt8], version: UInt8 = 1) -> Data {
    var text = Array(header.utf8)
    while (10 + text.count + 1) % 64 != 0 { text.append(UInt8(ascii: " ")) }
    text.append(UInt8(ascii: "\n"))
    return Data([0x93] + Array("NUMPY".utf8) + [version, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data)
}

@Test func readsAnNpyFileAndRefusesWhatItCannotRead() throws {
    let scratch = try ScratchDirectory()
    let good = try scratch.file("good.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", [0, 0, 128, 63, 0, 0, 0, 64]))
    #expect(try NumPyArrays.load(contentsOf: good).scalars == [1, 2])

    let refused: [(String, Data, String)] = [
        ("fortran", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", [UInt8](repeating: 0, count: 8)), "Fortran order"),
        ("big-endian", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", [UInt8](repeating: 0, count: 8)), "'>f4'"),
        ("objects", npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [UInt8](repeating: 0, count: 8)), "'|O'"),
        ("short", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", [UInt8](repeating: 0, count: 8)), "cut short"),
        ("huge", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", []), "GiB"),
        ("no-shape", npy("{'descr': '<f4', 'fortran_order': False, }", []), "without descr"),
        ("garbled", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2; 3), }", []), "corrupt header"),
        ("unterminated", npy("{'descr': '<f4", []), "corrupt header"),
        ("version", npy("{}", [], version: 9), "version 9"),
        ("magic", Data("not an array at all, just text".utf8), "magic"),
    ]
    for (name, bytes, phrase) in refused {
        let url = try scratch.file("\(name).npy", bytes)
        let error = expectFileError(url) { try NumPyArrays.load(contentsOf: url) }
        #expect(error?.description.contains(phrase) == true, "\(name): \(String(describing: error))")
    }
    let notZip = try scratch.file("plain.npz", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", []))
    #expect(isInvalid(expectFileError(notZip) { try NumPyArrays.loadArchive(contentsOf: notZip) }))
}
