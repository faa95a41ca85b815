// `impasto cutout` as users run it: the built binary on MediaPipe's real selfie segmentation models (copied
// into a fresh model cache), on the astronaut photo, and one sentence for each bad input.
import Foundation
import ImpastoMedia
import ImpastoTestSupport
import Testing

@Suite struct CutoutCommandTests {
    static let astronaut = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png")

    /// A model cache as `impasto models fetch selfie-general selfie-landscape` leaves it.
    static func modelCache() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-cutout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["selfie_segmentation", "selfie_segmentation_landscape"] {
            let file = try mediapipeModelFile("selfie_segmentation/\(name).tflite")
            try FileManager.default.copyItem(at: file, to: folder.appendingPathComponent(file.lastPathComponent))
        }
        return folder
    }

    static func cutout(_ arguments: [String], models: URL) throws -> (status: Int32, output: String, error: String) {
        try runImpasto(["cutout"] + arguments, environment: ["IMPASTO_MODELS": models.path])
    }

    /// The mean of `plane` over the rectangle.
    static func mean(_ plane: ArraySlice<Float>, width: Int, x: Range<Int>, y: Range<Int>) -> Float {
        let values = y.flatMap { row in x.map { plane[plane.startIndex + row * width + $0] } }
        return values.reduce(0, +) / Float(values.count)
    }

    @Test func theAstronautIsOpaqueAndTheCornersTransparent() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        // Matting at 256×256 (the alpha scaled back to 512×512) keeps the debug build's run short.
        for refine in ["none", "guided", "matting"] {
            let output = models.appendingPathComponent("astronaut-\(refine).png")
            let result = try Self.cutout([Self.astronaut.path, "--refine", refine, "--matting-max-side", "256", "-o", output.path, "--quiet"],
                                         models: models)
            #expect(result.status == 0 && result.error.isEmpty && result.output.isEmpty, "\(refine): \(result.error)")
            let cutout = try Image(contentsOf: output)
            #expect(cutout.channels == 4 && cutout.width == 512 && cutout.height == 512)
            let alpha = cutout.plane(3)
            // Her face and her suit; the flag and the wall in the top corners and the shuttle model at the right
            // (the helmet at the bottom right counts as part of her: the model says so too).
            let person = [(170..<240, 60..<200), (60..<300, 300..<450)].map { Self.mean(alpha, width: 512, x: $0.0, y: $0.1) }
            let background = [(0..<40, 0..<40), (472..<512, 0..<40), (400..<500, 40..<200)].map {
                Self.mean(alpha, width: 512, x: $0.0, y: $0.1)
            }
            print("cutout \(refine): person alpha \(person), background \(background)")
            #expect(person.allSatisfy { $0 > 0.95 } && background.allSatisfy { $0 < 0.05 }, "\(refine): person \(person), background \(background)")
        }
    }

    @Test func backgroundsCropsAndMasks() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        // The photo at 256×256 on a gray 480×400 canvas at (120, 100): --crop keeps about that square.
        let photo = try Image(contentsOf: Self.astronaut).resized(width: 256, height: 256)
        var pixels = [Float](repeating: 0.5, count: 3 * 480 * 400)
        for c in 0..<3 {
            for y in 0..<256 {
                for x in 0..<256 { pixels[(c * 400 + y + 100) * 480 + x + 120] = photo.pixels[(c * 256 + y) * 256 + x] }
            }
        }
        let canvas = Image(width: 480, height: 400, channels: 3, pixels: pixels)
        let framed = models.appendingPathComponent("framed.png")
        try canvas.write(to: framed, format: .png)
        let green = models.appendingPathComponent("green.jpg"), blurred = models.appendingPathComponent("blur.png")
        for (arguments, file) in [(["--background", "#00ff00", "--crop", "--model", "landscape"], green),
                                  (["--background", "blur:8", "--threshold", "0.5"], blurred)] {
            let result = try Self.cutout([framed.path, "-o", file.path, "--quiet"] + arguments, models: models)
            #expect(result.status == 0 && result.error.isEmpty, "\(arguments): \(result.error)")
        }
        let cropped = try Image(contentsOf: green)
        print("cutout --crop: \(cropped.width)×\(cropped.height) of 480×400")
        #expect(cropped.channels == 3 && (200...300).contains(cropped.width) && (200...300).contains(cropped.height))
        #expect(try Image(contentsOf: blurred).channels == 3)

        // Standard input to standard output: the mask, gray, as PNG bytes.
        let process = Process()
        process.executableURL = try impastoBinary()
        process.arguments = ["cutout", "-", "--mask-only", "-o", "-", "--quiet"]
        process.environment = ProcessInfo.processInfo.environment.merging(["IMPASTO_MODELS": models.path]) { $1 }
        process.standardInput = try FileHandle(forReadingFrom: Self.astronaut)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let bytes = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let mask = try Image(decoding: [UInt8](bytes), path: "standard output")
        #expect(mask.channels == 1 && mask.width == 512)
    }

    @Test func aFolderOfMixedSizesReportsEachImage() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photos = models.appendingPathComponent("photos"), out = models.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        let photo = try Image(contentsOf: Self.astronaut)
        try photo.resized(width: 200, height: 120).write(to: photos.appendingPathComponent("wide.png"), format: .png)
        try photo.resized(width: 90, height: 160).write(to: photos.appendingPathComponent("tall.jpg"), format: .jpeg(quality: 90))
        let result = try Self.cutout([photos.path, "--output-dir", out.path, "--refine", "guided", "--json"], models: models)
        #expect(result.status == 0, "\(result.error)")
        let events = result.output.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(events.compactMap { $0["output"] as? String } == [out.appendingPathComponent("tall-cutout.png").path,
                                                                  out.appendingPathComponent("wide-cutout.png").path])
        #expect(events.last?["event"] as? String == "done" && events.last?["images"] as? Int == 2)
        let wide = try Image(contentsOf: out.appendingPathComponent("wide-cutout.png"))
        #expect((wide.width, wide.height, wide.channels) == (200, 120, 4))
    }

    @Test func aClipKeepsItsFramesSizeAndAudio() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let clip = try makeClipWithAudio(in: models, seconds: 1)
        let output = models.appendingPathComponent("green.mp4")
        let result = try Self.cutout([clip.path, "--background", "#00ff00", "--refine", "guided", "-o", output.path, "--quiet"],
                                     models: models)
        #expect(result.status == 0 && result.error.isEmpty && result.output.isEmpty, "\(result.error)")
        let info = try VideoInfo(contentsOf: output)
        #expect(info.frameCount == 25 && info.hasAudio && (info.width, info.height) == (160, 120))

        // Transparent: ProRes 4444 in a MOV keeps the alpha plane, and the audio.
        let transparent = models.appendingPathComponent("cutout.mov")
        let cut = try Self.cutout([clip.path, "-o", transparent.path, "--quiet"], models: models)
        #expect(cut.status == 0 && cut.error.isEmpty, "\(cut.error)")
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,pix_fmt", "-of", "csv", transparent.path]
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        let streams = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        #expect(streams.contains("video,yuva444") && streams.contains("audio"), "\(streams)")
    }

    @Test func eachBadInputIsOneSentence() throws {
        let models = try Self.modelCache()
        defer { try? FileManager.default.removeItem(at: models) }
        let photo = Self.astronaut.path
        let output = models.appendingPathComponent("out.png").path
        let empty = models.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let truncated = models.appendingPathComponent("truncated.png").path
        try Data(contentsOf: Self.astronaut).prefix(5000).write(to: URL(fileURLWithPath: truncated))
        let notes = models.appendingPathComponent("notes.jpg").path
        try Data("not pixels\n".utf8).write(to: URL(fileURLWithPath: notes))
        let detector = try mediapipeModelFile("face_detection/face_detection_short_range.tflite").path
        let clip = models.appendingPathComponent("clip.mp4").path
        // A .tflite cut short, a network of another kind as --model, and a train-segmenter file cut short.
        let cutTFLite = models.appendingPathComponent("cut.tflite").path
        try Data(contentsOf: mediapipeModelFile("selfie_segmentation/selfie_segmentation.tflite")).prefix(20_000)
            .write(to: URL(fileURLWithPath: cutTFLite))
        let styleNetwork = repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/fast-style-reference.safetensors").path
        let cutSegmenter = models.appendingPathComponent("cut.safetensors").path
        try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/segmenter-reference.safetensors"))
            .prefix(100).write(to: URL(fileURLWithPath: cutSegmenter))
        let cases: [([String], Int32, String)] = [
            ([photo, "--weights", cutTFLite, "-o", output], 1,
             "Cannot read \(cutTFLite): the file ends in the middle of its operator codes, so it was probably cut short."),
            ([photo, "--model", styleNetwork, "-o", output], 1, "\(styleNetwork) is not a valid file of the expected kind: it is not a "
                + "segmenter written by impasto train-segmenter (no architecture and image_size in its metadata)."),
            ([photo, "--model", cutSegmenter, "-o", output], 1,
             "Cannot read \(cutSegmenter): the file ends in the middle of its header, so it was probably cut short."),
            ([notes, "-o", output], 1, "\(notes) is not a valid file of the expected kind: it is neither a PNG nor a JPEG image."),
            ([truncated, "-o", output], 1, "\(truncated) is not a valid file of the expected kind: the file ends before the image data does."),
            ([empty.path, "--output-dir", models.path], 1, "The folder \(empty.path) holds no JPEG or PNG images."),
            ([photo, "--weights", detector, "-o", output], 1, "\(detector) is not a valid file of the expected kind: it is not a "
                + "selfie segmentation model: it takes [1, 128, 128, 3] and gives [1, 896, 16] and [1, 896, 1], where one RGB "
                + "image [1, H, W, 3] in and one mask [1, H, W, 1] out are needed."),
            ([photo, "-o", photo], 1, "Refusing to overwrite the input \(photo); choose another output."),
            ([photo, "-o", models.appendingPathComponent("out.jpg").path], 1,
             "The output \(models.path)/out.jpg must end in .png: a cutout is transparent (use --background for JPEG)."),
            ([photo, "--background", "#12345", "-o", output], 1,
             "--background #12345 is not a colour: write it as #rrggbb or #rgb in hexadecimal."),
            ([photo, "--threshold", "1.5", "-o", output], 1, "--threshold must be between 0 and 1 (exclusive), not 1.5."),
            ([photo, "--mask-only", "--background", "white", "-o", output], 64, "--mask-only writes the mask alone; it takes no --background."),
            ([clip, "-o", models.appendingPathComponent("out.mp4").path], 1, "The output \(models.path)/out.mp4 must end in "
                + ".webm or .mov to keep the cutout's transparency (or give --background for .mp4)."),
            ([clip, "--background", "white", "-o", models.appendingPathComponent("out.webm").path], 1, "The output "
                + "\(models.path)/out.webm must end in .mp4, .mov or .mkv: video composites and masks are written as H.264."),
            ([clip, "--background", "white", "--output-dir", models.path], 64, "A video cutout is written to a file: give -o OUT.mp4."),
            ([photo, "-o", "-", "--json"], 64,
             "-o - writes the image to standard output, where --json would write its events; use --quiet or a file."),
        ]
        for (arguments, status, sentence) in cases {
            let result = try Self.cutout(arguments, models: models)
            #expect(result.status == status, "\(arguments): \(result.error)")
            #expect(result.error == "error: \(sentence)\n", "\(arguments)")
            #expect(result.output.isEmpty, "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: output), "\(arguments) wrote an output")
        }
    }
}
