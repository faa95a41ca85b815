import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoOptimizers
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels

/// Every 4-D weight is one convolution (3×3, 1×1 or transposed); biases, batch norms and buffers are not.
private func convolutionCount(_ network: Module) -> Int {
    network.parameters().filter { $0.name.hasSuffix("weight") && $0.tensor.rank == 4 }.count
}

/// A Tiramisu small enough for a few seconds of training: two down blocks of 2 layers, growth 4.
/// Uniform noise in −1…1 of `shape`.
private func noise(_ shape: [Int]) -> Tensor {
    var generator = RandomGenerator(seed: 1)
    return Tensor.randomUniform(shape, in: -1...1, generator: &generator)
}

private let tinyTiramisu = FCDenseNetConfiguration(downLayers: [2, 2], bottleneckLayers: 2, growthRate: 4, firstChannels: 8)

@Suite struct SegmenterTests {
    /// The variants' names count their convolutions (Jégou et al. table 2); U-Net has the paper's 23.
    @Test func layerCountsMatchThePapers() {
        for (configuration, layers) in [(FCDenseNetConfiguration.fcDenseNet56, 56), (.fcDenseNet67, 67), (.fcDenseNet103, 103)] {
            #expect(configuration.convolutionCount == layers)
            #expect(convolutionCount(FCDenseNet(configuration)) == layers)
        }
        let unet = UNet()
        #expect(unet.convolutionCount == 23 && convolutionCount(unet) == 23)
    }

    /// FC-DenseNet103's channels of table 1: 48 first, 656 at the bottom skip, 256 into the classifier; 9.32 M
    /// parameters with two classes (the paper's table 2 says 9.4 M, for 11 classes).
    @Test func tiramisu103HasThePapersChannels() {
        let shapes = Dictionary(uniqueKeysWithValues: FCDenseNet(.fcDenseNet103).parameters().map { ($0.name, $0.tensor.shape) })
        #expect(shapes["firstConvolution.weight"] == [48, 3, 3, 3])
        #expect(shapes["transitionsDown.4.convolution.weight"] == [656, 656, 1, 1])
        #expect(shapes["transitionsUp.0.weight"] == [240, 240, 3, 3])
        #expect(shapes["up.0.layers.0.convolution.weight"] == [16, 240 + 656, 3, 3])
        #expect(shapes["classifier.weight"] == [2, 256, 1, 1])
        let count = shapes.values.map { $0.reduce(1, *) }.reduce(0, +)
        #expect((9_000_000...9_800_000).contains(count), "\(count) parameters")
        let unetShapes = Dictionary(uniqueKeysWithValues: UNet().parameters().map { ($0.name, $0.tensor.shape) })
        #expect(unetShapes["down.4.second.weight"] == [1024, 1024, 3, 3] && unetShapes["upConvolutions.0.weight"] == [1024, 512, 2, 2])
        #expect(unetShapes["up.3.first.weight"] == [64, 128, 3, 3] && unetShapes["classifier.weight"] == [2, 64, 1, 1])
    }

    /// Output logits are the input's size, in training and inference mode.
    @Test func outputsMatchTheInputSize() {
        let input = noise([2, 3, 32, 64])
        let tiramisu = FCDenseNet(.fcDenseNet56)
        #expect(withoutGradients { tiramisu(input) }.shape == [2, 2, 32, 64])
        let tiny = FCDenseNet(tinyTiramisu)
        tiny.train(true)
        #expect(tiny(noise([1, 3, 8, 12])).shape == [1, 2, 8, 12])
        let unet = UNet(depth: 2, baseChannels: 8)
        #expect(withoutGradients { unet(noise([1, 3, 16, 20])) }.shape == [1, 2, 16, 20])
    }

    /// Per-pixel cross-entropy is log Σ exp − the target's logit, averaged, as computed by hand.
    @Test func pixelCrossEntropyByHand() {
        // [1, 2, 1, 2]: pixel 0 logits (0, 1), pixel 1 logits (2, −1).
        let logits = Tensor(shape: [1, 2, 1, 2], scalars: [0, 2, 1, -1])
        let loss = pixelCrossEntropy(logits: logits, targets: [1, 1]).scalar
        let first: Double = Foundation.log(1 + Foundation.exp(1.0)) - 1
        let second: Double = Foundation.log(Foundation.exp(2.0) + Foundation.exp(-1.0)) + 1
        let expected = (first + second) / 2
        #expect(abs(loss - Float(expected)) < 1e-5)
        #expect(pixelClasses(logits) == [1, 0])
    }

    /// IoU on hand-made masks: 2 shared of 4 called foreground; nothing foreground is nil.
    @Test func maskIoUByHand() throws {
        #expect(try #require(maskIntersectionOverUnion(predicted: [1, 1, 0, 1, 0], target: [1, 0, 1, 1, 0])) == 0.5)
        #expect(maskIntersectionOverUnion(predicted: [0, 0], target: [0, 0]) == nil)
        #expect(maskIntersectionOverUnion(predicted: [1, 1], target: [1, 1]) == 1)
    }

    /// A disk on noise: both families overfit it in a few dozen RMSProp steps (loss falls, IoU rises).
    @Test(arguments: ["tiramisu", "unet"]) func overfitsADisk(family: String) throws {
        let side = 16
        var image = [Float](repeating: 0, count: 3 * side * side), targets = [Int](repeating: 0, count: side * side)
        var generator = RandomGenerator(seed: 7)
        for y in 0..<side {
            for x in 0..<side {
                let inside = (x - 9) * (x - 9) + (y - 7) * (y - 7) < 25
                targets[y * side + x] = inside ? 1 : 0
                for c in 0..<3 { image[(c * side + y) * side + x] = (inside ? 0.4 : -0.4) + 0.6 * (generator.nextFloat() - 0.5) }
            }
        }
        let input = Tensor(shape: [1, 3, side, side], scalars: image)
        let network: SegmentationNetwork = family == "unet" ? UNet(depth: 2, baseChannels: 8) : FCDenseNet(tinyTiramisu)
        network.train(true)
        network.requireGradients(true)
        let optimizer = RMSProp(parameters: network.parameters().map(\.tensor), learningRate: 1e-3)
        var losses: [Float] = []
        for _ in 0..<60 {
            let loss = pixelCrossEntropy(logits: network(input), targets: targets)
            optimizer.step(loss.backward())
            losses.append(loss.scalar)
        }
        network.train(false)
        let iou = try #require(maskIntersectionOverUnion(predicted: pixelClasses(withoutGradients { network(input) }), target: targets))
        let early: Float = losses.prefix(5).reduce(0, +), late: Float = losses.suffix(5).reduce(0, +)
        #expect(late < 0.5 * early, "\(family) loss \(losses[0]) → \(losses[losses.count - 1])")
        #expect(iou > 0.8, "\(family) IoU \(iou)")
    }

    /// The same small networks written with torch.nn from the papers (scripts/make_segmenter_reference.py, torch
    /// 2.15.0), seeded weights and batch-norm statistics, eval mode: the logits agree.
    @Test func matchesTorchReferences() throws {
        let url = try #require(Bundle.module.url(forResource: "segmenter-reference", withExtension: "safetensors", subdirectory: "Fixtures"))
        let reference = try SafeTensors.load(contentsOf: url)
        let input = try #require(reference["input"])
        for (prefix, network) in [("fcdensenet", FCDenseNet(tinyTiramisu) as SegmentationNetwork), ("unet", UNet(depth: 2, baseChannels: 4))] {
            var weights: [String: Tensor] = [:]
            for (key, tensor) in reference where key.hasPrefix(prefix + ".") && !key.hasSuffix(".output") {
                weights[String(key.dropFirst(prefix.count + 1))] = tensor
            }
            try network.load(weights, source: url.path)
            expectClose(withoutGradients { network(input) }, try #require(reference["\(prefix).output"]), fraction: 1e-4)
        }
    }
}
