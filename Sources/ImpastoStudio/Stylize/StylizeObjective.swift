import ImpastoModels
import ImpastoTensor

/// The losses of one evaluation, each already multiplied by its weight.
public struct StylizeLosses: Sendable, Equatable {
    /// The content terms, summed over content layers.
    public var content: Float
    /// The style terms, summed over style layers.
    public var style: Float
    /// The total-variation term.
    public var tv: Float
    /// What the optimiser minimises: content, then style, then TV terms added in float32 in that order,
    /// as neural-style-pt adds its loss modules.
    public var total: Float
}

/// neural-style-pt's objective for one stage, its targets captured once from the content and style images.
///
/// With `F` a layer's activations (`[1, C, H, W]`) and `G = F·Fᵀ / (C·H·W)` its Gram matrix:
/// content term `w_c · mean((F - F_content)²)`, style term `w_s · mean((G - Σᵢ bᵢ·G_styleᵢ)²)` with blend
/// weights `bᵢ` summing to 1, and TV term `w_tv · (Σ|x[i+1, j] - x[i, j]| + Σ|x[i, j+1] - x[i, j]|)` on the
/// image `x` in the network's input space.
struct StylizeObjective {
    let network: VGG19
    let contentWeight: Float, styleWeight: Float, tvWeight: Float
    let normalizeGradients: Bool
    let contentTargets: [(layer: String, features: Tensor)]
    let styleTargets: [(layer: String, gram: Tensor)]
    /// Every layer the losses read, for one forward pass that stops at the deepest.
    let layers: [String]
    /// `[1, 1, H, W]` in [0, 1] over the image: where the content counts `faceWeight` times more (protected faces).
    let faceMask: Tensor?
    let faceWeight: Float

    /// Captures the targets: `content` and `styles` are network inputs, `blendWeights` sum to 1.
    init(network: VGG19, content: Tensor, styles: [Tensor], blendWeights: [Float], options: StylizeOptions,
         faceMask: Tensor? = nil) {
        self.network = network
        self.faceMask = faceMask
        faceWeight = options.faceStrength * 100
        contentWeight = options.contentWeight
        styleWeight = options.styleWeight
        tvWeight = options.tvWeight
        normalizeGradients = options.normalizeGradients
        layers = options.contentLayers + options.styleLayers
        let (contentLayers, styleLayers) = (options.contentLayers, options.styleLayers)
        (contentTargets, styleTargets) = withoutGradients {
            let features = contentLayers.isEmpty ? [:] : network(content, layers: contentLayers)
            let contentTargets = contentLayers.map { ($0, features[$0]!) }
            var grams: [Tensor?] = Array(repeating: nil, count: styleLayers.count)
            for (style, blend) in zip(styles, blendWeights) where !styleLayers.isEmpty {
                let features = network(style, layers: styleLayers)
                for (index, layer) in styleLayers.enumerated() {
                    let weighted = Self.gram(features[layer]!) * blend
                    grams[index] = grams[index].map { $0 + weighted } ?? weighted
                }
            }
            return (contentTargets, zip(styleLayers, grams).map { ($0, $1!) })
        }
    }

    /// neural-style's Gram matrix, normalised by the number of activations `C·H·W`.
    static func gram(_ features: Tensor) -> Tensor {
        gramMatrix(features) / Float(features.count)
    }

    /// The losses at `image` (a `[1, 3, H, W]` network input that requires its gradient) and their
    /// gradient with respect to it.
    func evaluate(_ image: Tensor) -> (losses: StylizeLosses, gradients: Gradients) {
        let features = network(image, layers: layers)
        var terms: [Tensor] = []
        var losses = StylizeLosses(content: 0, style: 0, tv: 0, total: 0)
        for (layer, target) in contentTargets {
            let (value, term) = weightedTerm(features[layer]!, weight: contentWeight) { mseLoss($0, target) }
            losses.content += value
            losses.total += value
            terms.append(term)
            if let faceMask {
                let term = maskedContentLoss(features[layer]!, target, faceMask) * (contentWeight * faceWeight)
                losses.content += term.scalar
                losses.total += term.scalar
                terms.append(term)
            }
        }
        for (layer, target) in styleTargets {
            let (value, term) = weightedTerm(features[layer]!, weight: styleWeight) { mseLoss(Self.gram($0), target) }
            losses.style += value
            losses.total += value
            terms.append(term)
        }
        if tvWeight > 0 {
            let term = totalVariationLoss(image) * tvWeight
            losses.tv = term.scalar
            losses.total += losses.tv
            terms.append(term)
        }
        let objective = terms.dropFirst().reduce(terms[0], +)
        return (losses, objective.backward())
    }

    /// `mean((F − P)²)` weighted per position by `mask` resized to the layer (bilinear), over the whole map: the
    /// content loss of the masked region at the same scale as the unmasked loss.
    private func maskedContentLoss(_ features: Tensor, _ target: Tensor, _ mask: Tensor) -> Tensor {
        let weights = withoutGradients { upsampleBilinear2d(mask, size: (features.shape[2], features.shape[3])) }
        let difference = features - target
        return (difference * difference * weights).mean()
    }

    /// `weight · loss(features)` and a term to differentiate for it. Normally the two are the same
    /// tensor; with `normalizeGradients` the term's gradient with respect to `features` is instead the
    /// loss's gradient divided by its L1 norm (plus 1e-8), times `weight`: jcjohnson/neural-style's
    /// `-normalize_gradients`, which rescales each loss module's gradient and leaves its reported loss
    /// alone. (neural-style-pt's port of the flag rescales the gradient of the scalar loss instead, which
    /// amounts to multiplying the gradient by the weight a second time.)
    private func weightedTerm(_ features: Tensor, weight: Float,
                              _ loss: (Tensor) -> Tensor) -> (value: Float, term: Tensor) {
        guard normalizeGradients else {
            let term = loss(features) * weight
            return (term.scalar, term)
        }
        let leaf = features.detached().requiringGradient()
        let unweighted = loss(leaf)
        let direction = withoutGradients {
            let gradient = unweighted.backward()[leaf]!
            return gradient / (gradient.abs().sum().scalar + 1e-8)
        }
        // Σ F·d has gradient d with respect to F; its value is not reported.
        return (unweighted.scalar * weight, (features * direction).sum() * weight)
    }
}
