// Runs the built `impasto` binary: what users see from `impasto models` is its exit status and its streams.
import Foundation
import Testing
import ImpastoStudio
import ImpastoTestSupport

@Test func modelsListShowsTheCacheDirectory() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let result = try runImpasto(["models", "list"], environment: ["IMPASTO_MODELS": cache.path])
    #expect(result.status == 0)
    #expect(result.error.isEmpty)
    let lines = result.output.split(separator: "\n")
    #expect(lines.first == "MODEL  VARIANT      FILE                SIZE  STATE")
    #expect(lines.dropFirst().first == "vgg19  caffe        vgg19-d01eb7cb.pth     -  not installed")
    #expect(lines.last == "Directory: \(cache.path)")
}

@Test func offlineModelsFetchPrintsOneSentenceAndFails() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let server = try LoopbackServer(serving: cache)
    server.stop()  // Its port now refuses connections: as offline as a test can be without touching the network.
    let result = try runImpasto(["models", "fetch", "vgg19"], environment: [
        "IMPASTO_MODELS": cache.path, "IMPASTO_MODELS_MIRROR": "http://127.0.0.1:\(server.port)/",
    ])
    #expect(result.status == 1)
    #expect(result.output.isEmpty)
    #expect(result.error == "error: Cannot download vgg19-d01eb7cb.pth (cannot connect to 127.0.0.1); put "
        + "vgg19-d01eb7cb.pth (from https://web.eecs.umich.edu/~justincj/models/vgg19-d01eb7cb.pth) into \(cache.path)/, "
        + "or pass --weights PATH.\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
}

@Test(arguments: [
    (["models", "fetch", "vgg99"], "error: There is no model named 'vgg99'; known models: vgg19, vgg16."),
    (["models", "fetch", "vgg19", "--variant", "imagenet"], "error: vgg19 has no variant 'imagenet'; choose one of caffe, torchvision."),
    (["models", "fetch", "vgg19", "--quiet", "--json"], "error: Choose either --quiet or --json, not both."),
    (["models", "fetch"], "error: Missing expected argument '<model>'"),
])
func modelsFetchRejectsBadArgumentsInOneLine(arguments: [String], message: String) throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let result = try runImpasto(arguments, environment: ["IMPASTO_MODELS": cache.path])
    #expect(result.status == 64)
    #expect(result.output.isEmpty)
    #expect(result.error == message + "\n")
}
