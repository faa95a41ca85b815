import Foundation
import ImpastoTensor
import Testing

/// The committed fixtures (see scripts/make_format_fixtures.py).
enum Fixtures {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    /// expected.json: the flattened fixture tensors as PyTorch sees them.
    static let expected: [String: ExpectedTensor] = {
        struct File: Decodable { let tensors: [String: ExpectedTensor] }
        return try! JSONDecoder().decode(File.self, from: data("expected.json")).tensors
    }()
}

struct ExpectedTensor: Decodable {
    let shape: [Int]
    let values: [Float]
}

/// Expects exactly the fixture tensors, bit for bit.
func expectFixtureTensors(_ tensors: [String: Tensor], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(tensors.keys) == Set(Fixtures.expected.keys), sourceLocation: sourceLocation)
    for (name, expected) in Fixtures.expected {
        guard let tensor = tensors[name] else { continue }
        #expect(tensor.shape == expected.shape, "\(name)", sourceLocation: sourceLocation)
        #expect(tensor.scalars == expected.values, "\(name)", sourceLocation: sourceLocation)
    }
}

/// A fresh directory, removed when the value is released.
final class ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `data` to a file called `name` here and returns its URL. Plain POSIX writes: Foundation's
    /// `Data.write` fsyncs, which makes a thousand truncated copies take seconds.
    func file(_ name: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw CocoaError(.fileWriteUnknown) }
        return file
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Expects `body` to throw an `ImpastoError` whose description is one sentence naming `url`, and
/// returns it.
@discardableResult
func expectFileError(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Any) -> ImpastoError? {
    do {
        _ = try body()
        Issue.record("no error for \(url.lastPathComponent)", sourceLocation: sourceLocation)
    } catch let error as ImpastoError {
        let sentence = error.description
        #expect(sentence.contains(url.path), "\(sentence)", sourceLocation: sourceLocation)
        #expect(sentence.hasSuffix(".") && !sentence.dropLast().contains(". ") && !sentence.contains("\n"),
                "not one sentence: \(sentence)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("\(error) is not an ImpastoError", sourceLocation: sourceLocation)
    }
    return nil
}

/// Whether `error` is `.unreadableFile` (which is how a file cut short is reported).
func isUnreadable(_ error: ImpastoError?) -> Bool {
    if case .unreadableFile? = error { true } else { false }
}

/// Whether `error` is `.invalidFormat`.
func isInvalid(_ error: ImpastoError?) -> Bool {
    if case .invalidFormat? = error { true } else { false }
}

/// Lengths to cut a file of `count` bytes to: a spread over the file and every one of the last 64,
/// where the ZIP end records and the last tensor's bytes are.
func cutLengths(_ count: Int) -> [Int] {
    Array(Set(stride(from: 0, to: count, by: 11)).union(max(0, count - 64)..<count)).sorted()
}

/// The first bytes of a PNG, for "this is not a weight file at all".
let pngBytes = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
                     0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89])
