// `impasto stylize` arguments: both spellings, presets, and the errors that stop a run before it starts.
import ArgumentParser
import Foundation
import ImpastoTestSupport
import ImpastoMedia
import ImpastoStudio
import Testing
@testable import ImpastoCLI

/// The sentence a user sees for `arguments`: the first error of parsing, validation or the run (nil if none).
/// Runs only get as far as their first error here; none of these reaches the optimisation.
func stylizeError(_ arguments: [String]) -> String? {
    do {
        try StylizeCommand.parse(arguments).run()
        return nil
    } catch {
        return StylizeCommand.message(for: error)
    }
}

let exampleImages = repositoryRoot.appendingPathComponent("Examples/images")

@Suite struct StylizeParsingTests {
    @Test func neuralStyleSpellingsGiveTheSameOptions() throws {
        let impasto = try StylizeCommand.parse([
            "photo.jpg", "--style", "a.jpg,b.jpg", "-o", "out.png", "--style-blend", "3,1",
            "--content-weight", "2", "--style-weight", "50", "--tv-weight", "0",
            "--content-layers", "relu4_2,relu5_1", "--style-layers", "relu1_1,relu2_1",
            "--size", "256", "--style-scale", "0.5", "--iterations", "300", "--optimizer", "adam",
            "--learning-rate", "2", "--init", "image", "--seed", "42", "--original-colors", "--pooling", "avg",
            "--normalize-gradients", "--save-every", "50", "--weights", "vgg19-d01eb7cb.pth", "--lbfgs-history", "5",
        ])
        let neuralStyle = try StylizeCommand.parse([
            "-content_image", "photo.jpg", "-style_image", "a.jpg,b.jpg", "-output_image", "out.png",
            "-style_blend_weights", "3,1", "-content_weight", "2", "-style_weight", "50", "-tv_weight", "0",
            "-content_layers", "relu4_2,relu5_1", "-style_layers", "relu1_1,relu2_1",
            "-image_size", "256", "-style_scale", "0.5", "-num_iterations", "300", "-optimizer", "adam",
            "-learning_rate", "2", "-init", "image", "-seed", "42", "-original_colors", "1", "-pooling", "avg",
            "-normalize_gradients", "-save_iter", "50", "-model_file", "vgg19-d01eb7cb.pth",
            "-print_iter", "10", "-gpu", "0", "-backend", "cudnn", "-cudnn_autotune", "-lbfgs_num_correction", "5",
        ])
        var expected = StylizeOptions()
        expected.styleBlendWeights = [3, 1]
        expected.contentWeight = 2
        expected.styleWeight = 50
        expected.tvWeight = 0
        expected.contentLayers = ["relu4_2", "relu5_1"]
        expected.styleLayers = ["relu1_1", "relu2_1"]
        expected.size = 256
        expected.styleScale = 0.5
        expected.iterations = 300
        expected.optimizer = .adam
        expected.learningRate = 2
        expected.initialization = .content
        expected.seed = 42
        expected.originalColors = true
        expected.pooling = .avg
        expected.normalizeGradients = true
        expected.saveEvery = 50
        expected.historySize = 5
        for command in [impasto, neuralStyle] {
            #expect(command.stylizeOptions() == expected)
            #expect(command.contentPath == "photo.jpg" && command.stylePaths == ["a.jpg", "b.jpg"])
            #expect(command.output == "out.png" && command.weights == "vgg19-d01eb7cb.pth")
        }
    }

    @Test func defaultsAreNeuralStyles() throws {
        let command = try StylizeCommand.parse(["photo.jpg", "--style", "a.jpg", "-o", "out.png"])
        #expect(command.stylizeOptions() == StylizeOptions())
        #expect(StylizeOptions().contentWeight == 5 && StylizeOptions().styleWeight == 100
            && StylizeOptions().tvWeight == 1e-3 && StylizeOptions().size == 512 && StylizeOptions().iterations == 1000)
    }

    @Test func initImageSpellings() throws {
        let start = exampleImages.appendingPathComponent("astronaut.png").path
        let base = ["photo.jpg", "--style", "a.jpg", "-o", "out.png"]
        let impasto = try StylizeCommand.parse(base + ["--init", start])
        let neuralStyle = try StylizeCommand.parse(base + ["-init", "image", "-init_image", start])
        for command in [impasto, neuralStyle] {
            #expect(command.initImagePath == start)
            #expect(command.job(options: command.stylizeOptions()).initialImage?.path == start)
        }
        // As in neural-style, -init_image matters only with -init image.
        #expect(try StylizeCommand.parse(base + ["-init_image", start]).stylizeOptions().initialization == .random)
    }

    @Test func neuralStyleSentinelsMeanTheDefaults() throws {
        let base = ["photo.jpg", "--style", "a.jpg", "-o", "out.png"]
        #expect(try StylizeCommand.parse(base + ["-seed", "-1", "-original_colors", "0", "-lbfgs_num_correction", "0"]).stylizeOptions() == StylizeOptions())
        #expect(stylizeError(base + ["-original_colors", "2"]) == "-original_colors takes 0 or 1, not 2.")
    }

    @Test(arguments: [
        (["--preset", "free"], 600, 100),
        (["--preset", "premium"], 700, 600),
        (["--preset", "hd"], 1200, 500),
        (["--preset", "hd", "--size", "800"], 800, 500),
        (["--preset", "free", "--iterations", "50"], 600, 50),
        (["-image_size", "640", "--preset", "premium", "-num_iterations", "20"], 640, 20),
        (["--preset", "hd", "--iterations", "1000"], 1200, 1000),
        (["--preset", "hd", "--iterations", "100"], 1200, 100),
    ])
    func presetsResolveAndExplicitOptionsWin(arguments: [String], size: Int, iterations: Int) throws {
        let options = try StylizeCommand.parse(["photo.jpg", "--style", "a.jpg", "-o", "out.png"] + arguments)
            .stylizeOptions()
        #expect(options.size == size && options.iterations == iterations)
    }

    /// Premium starts from the photo (it reaches the 600-iteration loss sooner); an explicit start wins.
    @Test func premiumStartsFromThePhotoUnlessToldOtherwise() throws {
        let base = ["photo.jpg", "--style", "a.jpg", "-o", "out.png", "--preset"]
        #expect(try StylizeCommand.parse(base + ["premium"]).stylizeOptions().initialization == .content)
        #expect(try StylizeCommand.parse(base + ["premium", "--init", "random"]).stylizeOptions().initialization == .random)
        #expect(try StylizeCommand.parse(base + ["free"]).stylizeOptions().initialization == .random)
    }

    @Test func helpListsBothSpellingsAndHidesTheIgnoredOptions() {
        let help = StylizeCommand.helpMessage(columns: 200)
        #expect(help.contains("--style-weight, -style_weight <style-weight>"))
        #expect(help.contains("-o, --output, -output_image <path>"))
        #expect(help.contains("--iterations, -num_iterations <iterations>"))
        #expect(!help.contains("-gpu") && !help.contains("-content_image") && !help.contains("-init_image"))
    }

    @Test func settingsLineSpellsOutEveryValue() throws {
        let command = try StylizeCommand.parse(["my photo.jpg", "--style", "a.jpg", "-o", "out.png", "--preset", "free"])
        var options = command.stylizeOptions()
        options.seed = 9
        let line = command.job(options: options).settingsLine(options, preprocessing: .caffe)
        #expect(line == "impasto stylize 'my photo.jpg' --style a.jpg --content-weight 5.0 --style-weight 100.0 "
            + "--tv-weight 0.001 --content-layers relu4_2 --style-layers relu1_1,relu2_1,relu3_1,relu4_1,relu5_1 "
            + "--pooling max --size 600 --style-scale 1.0 --iterations 100 --optimizer lbfgs --lbfgs-history 100 "
            + "--init random --seed 9 --precision fp32 --variant caffe")
    }
}

@Suite struct StylizeErrorTests {
    static let base = ["photo.jpg", "--style", "a.jpg", "-o", "out.png"]

    @Test(arguments: [
        (["--style-layers", "relu1_1,relu9_9"], "VGG-19 has no layer named 'relu9_9'; layers are named like relu4_2 or conv1_1."),
        (["-content_layers", "fc7"], "VGG-19 has no layer named 'fc7'; layers are named like relu4_2 or conv1_1."),
        (["--style-blend", "1,2"], "There are 1 style image(s) but 2 style blend weight(s); give one weight per style image."),
        (["--size", "0"], "Image size 0 is outside 16…8192 pixels."),
        (["-image_size", "100000"], "Image size 100000 is outside 16…8192 pixels."),
        (["--preset", "hd", "--iterations", "1001"], "The hd preset runs 100 to 1000 iterations, not 1001."),
        (["--preset", "hd", "--iterations", "99"], "The hd preset runs 100 to 1000 iterations, not 99."),
        (["--preset", "hd", "--scales", "600,1200", "--iterations-per-scale", "800,300"],
         "The hd preset runs 100 to 1000 iterations, not 1100."),
        (["--scales", "256,512", "--iterations-per-scale", "10"],
         "There are 2 scale(s) but 1 iteration count(s); give one per scale."),
        (["--quiet", "--json"], "Choose either --quiet or --json, not both."),
        (["-lbfgs_num_correction", "-3"], "The L-BFGS history size must be at least 1."),
    ])
    func optionErrorsAreOneSentence(arguments: [String], message: String) {
        #expect(stylizeError(Self.base + arguments) == message)
    }

    @Test func missingOrMisplacedPathsAreRefused() {
        #expect(stylizeError(["--style", "a.jpg", "-o", "out.png"])
            == "Give the content image: impasto stylize CONTENT --style STYLE -o OUT.")
        #expect(stylizeError(["photo.jpg", "--style", "a.jpg"]) == "Name the output image with -o OUT (.png, .jpg or .jpeg).")
        #expect(stylizeError(["photo.jpg", "--style", "a.jpg", "-o", "out.gif"])
            == "The output out.gif must end in .png, .jpg or .jpeg.")
        #expect(stylizeError(["photo.jpg", "-o", "out.png"]) == "Give at least one style image.")
        #expect(stylizeError(["photo.jpg", "--style", "a.jpg", "-o", "/no/such/dir/out.png"])
            == "The output directory /no/such/dir does not exist.")
    }

    @Test func outputsNeverReplaceAnInput() {
        let content = exampleImages.appendingPathComponent("tubingen.jpg").path
        let style = exampleImages.appendingPathComponent("starry_night.jpg").path
        #expect(stylizeError([content, "--style", style, "-o", content])
            == "Refusing to overwrite the input \(content); choose another output.")
        // Another spelling of the same file is the same file.
        let other = exampleImages.appendingPathComponent("../images/./starry_night.jpg").path
        #expect(stylizeError([content, "--style", style, "-o", other])
            == "Refusing to overwrite the input \(other); choose another output.")
        // So is an intermediate image that --save-every would number onto an input (validation reads no files).
        let numbered = exampleImages.appendingPathComponent("photo_2.png").path
        #expect(stylizeError([numbered, "--style", style, "-o", exampleImages.appendingPathComponent("photo.png").path,
                              "--iterations", "4", "--save-every", "2"])
            == "Refusing to overwrite the input \(numbered); choose another output.")
    }

    /// `stylize --weights X -o X` once replaced the weight file with the output image; a hard link to it is the
    /// same file under another name.
    @Test func theWeightFileIsAnInputToo() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("weights.png"), link = directory.appendingPathComponent("link.png")
        try Data("not weights".utf8).write(to: weights)
        try FileManager.default.linkItem(at: weights, to: link)
        let content = exampleImages.appendingPathComponent("tubingen.jpg").path
        let style = exampleImages.appendingPathComponent("starry_night.jpg").path
        for output in [weights, link] {
            #expect(stylizeError([content, "--style", style, "--weights", weights.path, "-o", output.path])
                == "Refusing to overwrite the input \(output.path); choose another output.")
        }
        #expect(try Data(contentsOf: weights) == Data("not weights".utf8))
    }

    @Test func unreadableImagesAreOneSentenceAndWriteNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let notAnImage = directory.appendingPathComponent("notes.png")
        try Data("these are not pixels\n".utf8).write(to: notAnImage)
        let missing = directory.appendingPathComponent("missing.jpg").path
        let style = exampleImages.appendingPathComponent("starry_night.jpg").path
        let output = directory.appendingPathComponent("out.png").path
        // --weights only has to exist here: the images are read before the weights are loaded.
        let weights = ["--weights", style]

        let unreadable = try #require(stylizeError([missing, "--style", style, "-o", output] + weights))
        #expect(unreadable.hasPrefix("Cannot read \(missing): ") && unreadable.hasSuffix("."))
        let invalid = try #require(stylizeError([style, "--style", notAnImage.path, "-o", output] + weights))
        #expect(invalid.hasPrefix("\(notAnImage.path) is not a valid") && !invalid.contains("\n"))
        #expect(stylizeError([style, "--style", style, "-o", output, "--weights", missing])
            == "Cannot read the weights file \(missing); check the --weights path.")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.png"])
    }
}

/// A fresh, empty directory that the test owns.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-cli-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
