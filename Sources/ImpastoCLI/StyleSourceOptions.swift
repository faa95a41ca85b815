// Which network stylizes: a trained TransformerNet or AdaIN with style images; `impasto apply` and
// `impasto video` share these options.
import ArgumentParser
import Foundation
import ImpastoStudio
import ImpastoTensor

/// `--model M` or `--style S… [--weights] [--alpha] --vgg P --decoder P [--style-size]`.
struct StyleSourceOptions: ParsableArguments {
    @Option(help: "A bundled style (starry, scream) or a TransformerNet weight file: a .pth from pytorch/examples fast_neural_style, or safetensors.")
    var model: String?

    @Option(help: "A style image for AdaIN; repeat it to mix several styles.")
    var style: [String] = []

    @Option(help: "AdaIN: comma-separated weights of the styles, e.g. 1,3 (scaled to sum 1).")
    var weights: String?

    @Option(help: "AdaIN: style strength from 0 (the content) to 1 (fully stylized).")
    var alpha: Float = 1

    @Option(help: "AdaIN: the encoder weights, vgg_normalised.pth from naoto0804/pytorch-AdaIN.")
    var vgg: String?

    @Option(help: "AdaIN: the decoder weights, decoder.pth from naoto0804/pytorch-AdaIN.")
    var decoder: String?

    @Option(help: "AdaIN: the longest side style images are scaled to; 0 keeps their size.")
    var styleSize = 512

    func validate() throws {
        guard (model == nil) != style.isEmpty else {
            throw ValidationError("Give either --model (a trained TransformerNet) or --style (AdaIN), not both or neither.")
        }
        if model != nil {
            for (given, name) in [(weights != nil, "--weights"), (vgg != nil, "--vgg"), (decoder != nil, "--decoder"),
                                  (alpha != 1, "--alpha")] where given {
                throw ValidationError("\(name) applies to AdaIN (--style), not to --model.")
            }
        } else {
            guard vgg != nil, decoder != nil else {
                throw ValidationError("AdaIN needs --vgg vgg_normalised.pth and --decoder decoder.pth (from naoto0804/pytorch-AdaIN).")
            }
            guard (0...1).contains(alpha) else { throw ValidationError("--alpha must lie between 0 and 1, not \(alpha).") }
            _ = try styleWeights()
        }
        guard styleSize >= 0 else { throw ValidationError("--style-size must be positive, or 0 to keep the size.") }
    }

    /// What stylizes, for Studio; call after validation.
    func source() throws -> StyleSource {
        if let model { return .model(model) }
        return .adain(styles: style.map { URL(fileURLWithPath: $0) }, weights: try styleWeights(), alpha: alpha,
                      encoder: URL(fileURLWithPath: vgg!), decoder: URL(fileURLWithPath: decoder!),
                      styleSize: styleSize == 0 ? nil : styleSize)
    }

    /// The `--weights` mix, one non-negative weight per style, or nil for equal weights.
    func styleWeights() throws -> [Float]? {
        guard let weights else { return nil }
        let values = weights.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == style.count, values.allSatisfy({ $0 != nil && $0! >= 0 }),
              values.contains(where: { $0! > 0 }) else {
            throw ValidationError("--weights needs \(style.count) non-negative numbers separated by commas, one per --style, not all zero; got '\(weights)'.")
        }
        return values.map { $0! }
    }
}
