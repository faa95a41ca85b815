import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels

/// Inputs and outputs of the PyTorch reference modules, from scripts/make_fast_style_reference.py.
let fastStyleReference: [String: Tensor] = {
    let url = Bundle.module.url(forResource: "fast-style-reference", withExtension: "safetensors",
                                subdirectory: "Fixtures")!
    return try! SafeTensors.load(contentsOf: url)
}()

/// The random-weight TransformerNet that script saved with torch.save (zip format, float16 storages, plus the
/// running statistics old checkpoints carry).
let transformerFixture = Bundle.module.url(forResource: "transformer-net-random", withExtension: "pth",
                                           subdirectory: "Fixtures")!

/// The random-weight AdaIN that script saved with torch.save in the released files' layouts (float16, three
/// levels per tensor): the encoder as `vgg_normalised.pth` through relu4_1, and `decoder.pth`.
let adainEncoderFixture = Bundle.module.url(forResource: "adain-vgg-normalised-random", withExtension: "pth",
                                            subdirectory: "Fixtures")!
let adainDecoderFixture = Bundle.module.url(forResource: "adain-decoder-random", withExtension: "pth",
                                            subdirectory: "Fixtures")!

@Test func transformerNetMatchesPyTorch() throws {
    let net = try TransformerNet(contentsOf: transformerFixture)
    let output = withoutGradients { net(fastStyleReference["transformer.input"]!) }
    expectClose(output, fastStyleReference["transformer.output"]!)
    // 50×70 is no multiple of 4: the output grows to 52×72 exactly as PyTorch's does.
    let odd = withoutGradients { net(fastStyleReference["transformer.odd.input"]!) }
    #expect(odd.shape == [1, 3, 52, 72])
    expectClose(odd, fastStyleReference["transformer.odd.output"]!)
}

@Test func transformerNetInBFloat16StaysClose() throws {
    let net = try TransformerNet(contentsOf: transformerFixture)
    let output = Precision.$current.withValue(.bf16) { withoutGradients { net(fastStyleReference["transformer.input"]!) } }
    // bf16 keeps 8 significant bits; instance norm re-centres every layer, so errors stay a few percent.
    expectClose(output, fastStyleReference["transformer.output"]!, fraction: 0.05)
    // And outside that scope the same network computes in float32 again: the setting was the call's.
    expectClose(withoutGradients { net(fastStyleReference["transformer.input"]!) }, fastStyleReference["transformer.output"]!)
}

@Test func torchSaveCheckpointLoadsAndDropsOldStatistics() throws {
    let weights = try TorchCheckpoint.load(contentsOf: transformerFixture)
    #expect(weights["in1.running_mean"]?.shape == [32])
    #expect(weights["res5.in2.running_var"]?.shape == [128])
    let net = TransformerNet()
    try net.load(weights, source: "transformer-net-random.pth")
    #expect(net.stateDict().count == weights.keys.filter { !TransformerNet.isObsoleteStatistic($0) }.count)
    #expect(net.stateDict().count == (16 + 15) * 2)  // 16 convolutions, 15 instance norms, weight and bias each

    for key in ["running_mean", "in1.weight_running_var", "xin1.running_mean", "in.running_var", "conv1.running_var"] {
        #expect(!TransformerNet.isObsoleteStatistic(key), "\(key)")
    }
    // Anything else a file holds beyond the network's own tensors still means the wrong file.
    var extra = weights
    extra["classifier.weight"] = Tensor(zeros: [2])
    #expect(throws: ImpastoError.unexpectedKeys(keys: ["classifier.weight"], source: "x.pth")) {
        try TransformerNet().load(extra, source: "x.pth")
    }
}

@Test func wrongArchitectureIsNamed() throws {
    var weights = try TorchCheckpoint.load(contentsOf: transformerFixture)
    weights["res2.conv1.conv2d.weight"] = Tensor(zeros: [128, 128, 5, 5])
    #expect(throws: ImpastoError.shapeMismatch(key: "res2.conv1.conv2d.weight", expected: [128, 128, 3, 3],
                                              actual: [128, 128, 5, 5])) {
        try TransformerNet().load(weights, source: "x.pth")
    }
    // AdaIN's decoder is no TransformerNet: its first missing tensor is named.
    #expect(throws: ImpastoError.missingKey(key: "conv1.conv2d.weight", source: "decoder.pth")) {
        try TransformerNet().load(TorchCheckpoint.load(contentsOf: adainDecoderFixture), source: "decoder.pth")
    }
}

// MARK: - AdaIN

/// AdaIN with the reference script's weights, loaded as the CLI loads the released files.
func fixtureAdaIN() throws -> AdaIN {
    try AdaIN(encoderContentsOf: adainEncoderFixture, decoderContentsOf: adainDecoderFixture)
}

@Test func adainEncoderMatchesPyTorch() throws {
    let net = try fixtureAdaIN()
    let features = withoutGradients { net.encode(fastStyleReference["adain.content"]!) }
    expectClose(features, fastStyleReference["adain.content_features"]!)
}

@Test func adainMatchesPyTorch() throws {
    let net = try fixtureAdaIN()
    let content = fastStyleReference["adain.content"]!
    withoutGradients {
        let style = net.styleStatistics(of: fastStyleReference["adain.style"]!)
        expectClose(net(content, style: style, alpha: 0.8), fastStyleReference["adain.output"]!)

        let styles = fastStyleReference["adain.styles"]!
        let blended = FeatureStatistics.blend([net.styleStatistics(of: styles.slice(0..<1)),
                                               net.styleStatistics(of: styles.slice(1..<2))], weights: [0.25, 0.75])
        expectClose(net(content, style: blended), fastStyleReference["adain.interpolated"]!)
    }
}

@Test func coralMatchesPyTorch() throws {
    let net = try fixtureAdaIN()
    let content = fastStyleReference["adain.content"]!
    let style = fastStyleReference["adain.style"]!
    let recoloured = AdaIN.coral(style.reshaped([3, 72, 80]), matching: content.reshaped([3, 64, 64]))
    expectClose(recoloured, fastStyleReference["adain.coral"]!)
    let output = withoutGradients {
        net(content, style: net.styleStatistics(of: recoloured.reshaped([1, 3, 72, 80])))
    }
    expectClose(output, fastStyleReference["adain.preserved"]!)
}

@Test func adainEncoderIgnoresLayersPastRelu41() throws {
    // vgg_normalised.pth goes on to relu5_4 (module 52); the fixture stops at relu4_1.
    var weights = try TorchCheckpoint.load(contentsOf: adainEncoderFixture)
    weights["31.weight"] = Tensor(zeros: [512, 512, 3, 3])
    weights["52.bias"] = Tensor(zeros: [512])
    try AdaIN().loadEncoder(weights, source: "vgg_normalised.pth")
    // Within the kept modules, a tensor the encoder lacks (module 30 is relu4_1) still means the wrong file.
    weights["30.weight"] = Tensor(zeros: [512])
    #expect(throws: ImpastoError.unexpectedKeys(keys: ["30.weight"], source: "x.pth")) {
        try AdaIN().loadEncoder(weights, source: "x.pth")
    }
}

@Test func adainWeightsOfAnotherNetworkAreRefused() throws {
    let net = AdaIN()
    let encoder = try TorchCheckpoint.load(contentsOf: adainEncoderFixture)
    let decoder = try TorchCheckpoint.load(contentsOf: adainDecoderFixture)
    // Each file given for the other: the decoder's first convolution sits at index 1, the encoder's at 0.
    #expect(throws: ImpastoError.missingKey(key: "1.weight", source: "vgg_normalised.pth")) {
        try net.loadDecoder(encoder, source: "vgg_normalised.pth")
    }
    #expect(throws: ImpastoError.missingKey(key: "0.weight", source: "decoder.pth")) {
        try net.loadEncoder(decoder, source: "decoder.pth")
    }
}

@Test func differentiablePathAgreesWithTheFusedOne() throws {
    // Inference fuses norm, ReLU, upsampling and padding and runs the RGB layer as a matrix product; with a
    // gradient wanted, the engine's differentiable ops run instead. Both must compute the same network.
    let net = try TransformerNet(contentsOf: transformerFixture)
    let input = fastStyleReference["transformer.odd.input"]!
    let fused = withoutGradients { net(input) }
    let traced = input.requiringGradient()
    let differentiable = net(traced)
    expectClose(differentiable, fused, fraction: 1e-5)
    let gradient = try #require(differentiable.sum().backward()[traced])
    #expect(gradient.shape == input.shape && gradient.scalars.contains { $0 != 0 })
}

