import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoStudio
import ImpastoTensor
import Testing

/// The images and loss trajectories scripts/make_stylize_reference.py recorded with PyTorch.
let stylizeReference: [String: Tensor] = {
    let url = Bundle.module.url(forResource: "stylize-reference", withExtension: "safetensors", subdirectory: "Fixtures")!
    return try! SafeTensors.load(contentsOf: url)
}()

/// An image from a `[3, H, W]` tensor of 8-bit samples, as decoding would give it (`k / 255`).
func image(bytes tensor: Tensor) -> Image {
    Image(width: tensor.shape[2], height: tensor.shape[1], channels: 3, pixels: tensor.scalars.map { $0 / 255 })
}

let referenceContent = image(bytes: stylizeReference["content"]!)
let referenceStyle = image(bytes: stylizeReference["style"]!)

/// One stylizer for the whole suite: building the weights takes a while in a debug build. The suite is
/// serialized to keep its timings apart; the stylizer itself serves concurrent runs (see
/// `concurrentRunsOnOneStylizerMatchRunsAlone`, which runs beside the suite on it).
nonisolated(unsafe) let stylizer = try! Stylizer(weights: deterministicVGGWeights(seed: 1), preprocessing: .caffe,
                                                source: "deterministic VGG-19")

/// Options for a small, fast job.
func smallJob(size: Int = 48, iterations: Int = 4) -> StylizeOptions {
    var options = StylizeOptions()
    options.size = size
    options.iterations = iterations
    options.seed = 3
    return options
}

/// Runs `options` on the reference images and returns every reported loss with the result.
func run(_ options: StylizeOptions,
         _ onProgress: (StylizeProgress) -> StylizeAction = { _ in .proceed }) throws -> (losses: [StylizeLosses], result: StylizeResult) {
    var losses: [StylizeLosses] = []
    let result = try stylizer.run(content: referenceContent, styles: [referenceStyle], options: options) {
        losses.append($0.losses)
        return onProgress($0)
    }
    return (losses, result)
}

/// Two jobs side by side on one shared stylizer, as a service runs them, one of them in bf16: each gives
/// exactly the image it gives alone. Runs share the frozen network and change nothing in it (precision is the
/// run's, a task-local), and the engine's caches and scratch memory are safe to share.
@Test func concurrentRunsOnOneStylizerMatchRunsAlone() throws {
    var first = smallJob(size: 40, iterations: 3), second = smallJob(size: 48, iterations: 3)
    first.seed = 11
    second.seed = 12
    second.precision = .bf16
    let jobs = [first, second]
    let alone = try jobs.map { try run($0).result.image.pixels }
    let lock = NSLock()
    nonisolated(unsafe) var together: [[Float]] = [[], []]
    DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
        let pixels = try! run(jobs[index]).result.image.pixels
        lock.withLock { together[index] = pixels }
    }
    #expect(together[0] == alone[0] && together[1] == alone[1])
    #expect(alone[0] != alone[1])
}

/// Two jobs naming the same weight file get one network from the model cache; a rewritten file is read again.
@Test func modelCacheSharesOneNetworkPerFile() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("net.safetensors")
    let net = TransformerNet()
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.name, $0.tensor) }), to: file)
    let cache = ModelCache()
    let a = try cache.transformerNet(file.path), b = try cache.transformerNet(file.path)
    #expect(a === b && cache.count == 1)
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.stateDict().map { ($0.name, $0.tensor) }),
                          metadata: ["rewritten": "yes"], to: file)
    #expect(try cache.transformerNet(file.path) !== a && cache.count == 1, "a rewritten file is loaded afresh")
}

@Suite(.serialized) struct StylizeTests {
    /// Issue 3's parity requirement: same weights, same pixels, `init image`, 256 px, 50 iterations; every
    /// iteration's total loss within 1 % of neural-style-pt's definitions run in PyTorch.
    ///
    /// Runs with direct convolution, the arithmetic PyTorch uses: L-BFGS at neural-style's settings (step 1,
    /// no line search) amplifies rounding differences, and Winograd's (~1e-6 relative per layer) moved one
    /// iteration of fifty 1.3 % from PyTorch's loss when this was measured.
    @Test(arguments: [StylizeOptions.Optimizer.lbfgs, .adam])
    func lossTrajectoryMatchesPyTorch(optimizer: StylizeOptions.Optimizer) throws {
        var options = StylizeOptions()
        options.size = 256
        options.iterations = 50
        options.initialization = .content
        options.optimizer = optimizer
        let (losses, result) = try ConvolutionAlgorithm.$allowsWinograd.withValue(false) { try run(options) }
        // Every term, not only their sum. The content term starts at 0 (the image is the content), so each
        // term's bound also allows 1e-4 of that iteration's total.
        let totals = stylizeReference["\(optimizer).total"]!.scalars
        #expect(losses.count == totals.count)
        let terms: [(String, KeyPath<StylizeLosses, Float>)] = [("total", \.total), ("content", \.content),
                                                               ("style", \.style), ("tv", \.tv)]
        for (name, term) in terms {
            let expected = stylizeReference["\(optimizer).\(name)"]!.scalars
            for (iteration, (actual, reference)) in zip(losses.map { $0[keyPath: term] }, expected).enumerated() {
                #expect(abs(actual - reference) <= 0.01 * abs(reference) + 1e-4 * totals[iteration],
                        "\(optimizer) iteration \(iteration + 1): \(name) loss \(actual) against PyTorch's \(reference)")
            }
        }
        #expect(result.losses == losses.last)
        #expect(result.iterations == 50 && !result.stopped)
        #expect(result.image.width == 256 && result.image.height == 192)
    }

    @Test func lossDecreasesFromRandomNoise() throws {
        let (losses, _) = try run(smallJob(iterations: 20))
        #expect(losses.count == 20)
        #expect(losses.last!.total < 0.5 * losses.first!.total, "\(losses.map(\.total))")
        #expect(losses.allSatisfy { $0.total.isFinite })
    }

    @Test func sameSeedGivesIdenticalResults() throws {
        let first = try run(smallJob()).result.image
        let second = try run(smallJob()).result.image
        var other = smallJob()
        other.seed = 4
        let third = try run(other).result.image
        #expect(first == second)
        #expect(first != third)
    }

    @Test func originalColorsKeepTheContentsChroma() throws {
        var options = smallJob()
        options.originalColors = true
        let result = try run(options).result.image
        let content = referenceContent.resized(longestSide: options.size, filter: .bilinear)
        let count = result.width * result.height
        func chroma(_ image: Image, _ i: Int) -> (Float, Float) {
            let p = image.pixels
            let y = 0.299 * p[i] + 0.587 * p[count + i] + 0.114 * p[2 * count + i]
            return (p[i] - y, p[2 * count + i] - y)
        }
        var compared = 0
        for i in 0..<count where (0..<3).allSatisfy({ (0.001...0.999).contains(result.pixels[$0 * count + i]) }) {
            let (a, b) = (chroma(result, i), chroma(content, i))
            #expect(abs(a.0 - b.0) < 1e-5 && abs(a.1 - b.1) < 1e-5)
            compared += 1
        }
        #expect(compared > count / 2)
        // Without the option the chroma is the optimised image's own.
        let plain = try run(smallJob()).result.image
        #expect((0..<count).contains { abs(chroma(plain, $0).0 - chroma(content, $0).0) > 0.01 })
    }

    /// Issue 3's bf16 requirement, on a smaller job: the bf16 run's final loss within 3 % of fp32's.
    @Test func bf16FinalLossIsWithinThreePercentOfFP32() throws {
        var options = smallJob(size: 128, iterations: 20)
        options.initialization = .content
        let fp32 = try run(options).result.losses.total
        options.precision = .bf16
        let bf16 = try run(options).result.losses.total
        #expect(abs(bf16 - fp32) <= 0.03 * fp32, "bf16 \(bf16), fp32 \(fp32)")
    }

    @Test func normalizedGradientsKeepReportedLossesAndChangeTheSteps() throws {
        var options = smallJob(iterations: 6)
        options.optimizer = .adam
        let plain = try run(options).losses
        options.normalizeGradients = true
        let normalized = try run(options).losses
        #expect(plain[0] == normalized[0])
        #expect(plain[5] != normalized[5])
        #expect(normalized.last!.total < normalized.first!.total)
    }

    @Test func multiscaleRunsEachStageFromThePreviousResult() throws {
        var options = smallJob()
        options.scales = [32, 64]
        options.iterationsPerScale = [3, 2]
        var stages: [Int] = []
        var sizes: [[Int]] = []
        let (losses, result) = try run(options) { progress in
            stages.append(progress.stage)
            sizes.append(progress.input.shape)
            #expect(progress.total == 5 && progress.stageCount == 2)
            return .proceed
        }
        #expect(losses.count == 5 && result.iterations == 5)
        #expect(stages == [0, 0, 0, 1, 1])
        #expect(sizes[0] == [1, 3, 24, 32] && sizes[4] == [1, 3, 48, 64])
        #expect(result.image.width == 64 && result.image.height == 48)
        // The second stage starts from the first stage's result, far below the loss of fresh noise.
        let fresh = try run(smallJob(size: 64, iterations: 1)).losses[0].total
        #expect(losses[3].total < fresh)
    }

    @Test func resultIsTheLowestLossImageOfTheLastStage() throws {
        var options = smallJob(iterations: 12)
        options.optimizer = .adam
        options.learningRate = 3000  // far too large a step: the loss jumps about instead of falling
        var images: [Image] = []
        let (losses, result) = try run(options) { progress in
            images.append(progress.image())
            return .proceed
        }
        let best = losses.indices.min { losses[$0].total < losses[$1].total }!
        #expect(best < losses.count - 1, "the last iteration should not be the best: \(losses.map(\.total))")
        #expect(result.losses == losses[best])
        #expect(result.image == images[best])
    }

    @Test func stoppingKeepsTheLatestImage() throws {
        var seen: Image?
        let (losses, result) = try run(smallJob(iterations: 10)) { progress in
            guard progress.iteration == 3 else { return .proceed }
            seen = progress.image()
            return .stop
        }
        #expect(losses.count == 3)
        #expect(result.stopped && result.iterations == 3)
        #expect(result.image == seen)
        #expect(result.losses == losses[2])
    }

    @Test func checkpointsFollowSaveEvery() throws {
        var options = smallJob(iterations: 5)
        options.saveEvery = 2
        var checkpoints: [Int] = []
        _ = try run(options) { progress in
            if progress.isCheckpoint { checkpoints.append(progress.iteration) }
            return .proceed
        }
        #expect(checkpoints == [2, 4])
    }

    @Test func startsFromAGivenImage() throws {
        var options = smallJob(iterations: 1)
        options.initialization = .image(referenceStyle)
        let fromStyle = try run(options).losses[0]
        options.initialization = .content
        let fromContent = try run(options).losses[0]
        // Zero up to rounding: oneDNN's inference and training passes may order their sums differently.
        #expect(fromContent.content < 1e-6 * fromStyle.content, "\(fromContent) \(fromStyle)")
    }

    @Test func styleColorsLimitThePalette() throws {
        let reduced = referenceStyle.reducingPalette(to: 6, seed: 1)
        let colors = Set((0..<reduced.width * reduced.height).map { i in
            (0..<3).map { reduced.pixels[$0 * reduced.width * reduced.height + i] }
        })
        #expect(colors.count <= 6 && colors.count >= 2)
        #expect(reduced == referenceStyle.reducingPalette(to: 6, seed: 1))
        var options = smallJob(iterations: 2)
        let full = try run(options).losses[0]
        options.styleColors = 6
        let reducedRun = try run(options).losses[0]
        #expect(full.style != reducedRun.style)
    }
}

@Test func twoColorImagesKeepTheirColors() {
    let pixels: [Float] = [1, 1, 0, 0, 0, 0, 1, 1, 0.2, 0.2, 0.8, 0.8]  // 2×2: two red-ish, two blue-ish
    let image = Image(width: 2, height: 2, channels: 3, pixels: pixels)
    let reduced = image.reducingPalette(to: 2, seed: 9)
    for (a, b) in zip(reduced.pixels, image.pixels) { #expect(abs(a - b) < 1e-4) }
}

@Test(arguments: VGGPreprocessing.allCases)
func preprocessingRoundTrips(_ preprocessing: VGGPreprocessing) {
    let image = referenceStyle.resized(longestSide: 16)
    let back = preprocessing.image(from: preprocessing.networkInput(from: image))
    for (a, b) in zip(back.pixels, image.pixels) { #expect(abs(a - b) < 1e-5) }
}

@Test func caffePreprocessingIsBGRTimes256MinusTheMeanPixel() {
    let pixel = Image(width: 1, height: 1, channels: 3, pixels: [1, 0.5, 0])
    let caffe: [Float] = [0 - 103.939, 128 - 116.779, 256 - 123.68]
    #expect(VGGPreprocessing.caffe.networkInput(from: pixel).scalars == caffe)
    let (red, green, blue): (Float, Float, Float) = ((1 - 0.485) / 0.229, (0.5 - 0.456) / 0.224, (0 - 0.406) / 0.225)
    #expect(VGGPreprocessing.torchvision.networkInput(from: pixel).scalars == [red, green, blue])
    #expect(VGGPreprocessing(fileName: "vgg19-d01eb7cb.pth") == .caffe)
    #expect(VGGPreprocessing(fileName: "vgg19-dcbb9e9d.pth") == .torchvision)
    #expect(VGGPreprocessing(fileName: "weights.pth") == nil)
}

@Test func loadsTorchvisionAndBareLayoutsAndIgnoresTheClassifier() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-vgg-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let weights = deterministicVGGWeights(seed: 5)
    var full = weights
    full["classifier.0.weight"] = Tensor(zeros: [4, 2])
    full["classifier.0.bias"] = Tensor(zeros: [4])
    let bare = Dictionary(uniqueKeysWithValues: weights.map { (String($0.key.dropFirst("features.".count)), $0.value) })
    let input = Tensor(shape: [1, 3, 16, 16]) { for i in $0.indices { $0[i] = Float(i % 7) - 3 } }
    var outputs: [[Float]] = []
    for (name, tensors) in [("full.safetensors", full), ("bare.pth", bare)] {
        let url = directory.appendingPathComponent(name)
        try SafeTensors.write(tensors, to: url)  // sniffed by content, whatever the extension says
        let network = try VGG19.pretrained(VGG19.weights(contentsOf: url), source: name)
        outputs.append(withoutGradients { network(input, layers: ["relu2_1"])["relu2_1"]!.scalars })
    }
    #expect(outputs[0] == outputs[1])
    var wrong = weights
    wrong["features.0.weight"] = Tensor(zeros: [64, 3, 5, 5])
    #expect(throws: ImpastoError.self) { try VGG19.pretrained(wrong, source: "wrong") }
    let garbage = directory.appendingPathComponent("garbage.pth")
    try Data("not a checkpoint".utf8).write(to: garbage)
    #expect(throws: ImpastoError.self) { try VGG19.weights(contentsOf: garbage) }
    #expect(throws: ImpastoError.self) { try VGG19.weights(contentsOf: directory.appendingPathComponent("missing.pth")) }
}

@Test func invalidOptionsAreNamedInOneSentence() {
    func message(_ change: (inout StylizeOptions) -> Void, styles: Int = 1) -> String? {
        var options = StylizeOptions()
        change(&options)
        do {
            try options.validate(styleCount: styles)
            return nil
        } catch {
            return "\(error)"
        }
    }
    #expect(message { _ in } == nil)
    #expect(message { $0.styleLayers = ["relu9_1"] }?.contains("relu9_1") == true)
    #expect(message({ $0.styleBlendWeights = [1, 2, 3] }, styles: 2)?.contains("3 style blend weight") == true)
    #expect(message { $0.size = 0 }?.contains("Image size 0") == true)
    #expect(message { $0.size = 100_000 }?.contains("Image size 100000") == true)
    #expect(message { $0.scales = [256, 512]; $0.iterationsPerScale = [10] } != nil)
    #expect(message { $0.styleColors = 0 } != nil)
    #expect(message { $0.iterations = 0 } != nil)
    #expect(message({ _ in }, styles: 0) != nil)
}
