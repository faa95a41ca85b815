import ImpastoTensor

/// Batch norms folded into the convolutions they follow, for inference.
///
/// In inference mode a batch norm is the affine map `γ (x − μ) / √(σ² + ε) + β` per channel, so a convolution
/// followed by one is a single convolution with each output channel's weights scaled by `s = γ / √(σ² + ε)` and
/// bias `β + s (b − μ)`. Folding removes a pass over every activation (MobileNetV2 has 52 batch norms) and lets
/// the convolution's bias ride in its kernel. The arithmetic is done in double precision, so the folded
/// network differs from the unfolded one only by float32 rounding of the weights.
public enum BatchNormFolding {
    /// `weights` with each `(convolution, norm)` pair of key prefixes (`features.0.0.`, `features.0.1.`) replaced
    /// by the convolution's folded `weight` and `bias`; the norm's `weight`, `bias`, `running_mean`, `running_var`
    /// and `num_batches_tracked` are consumed.
    ///
    /// - Throws: `ImpastoError.missingKey` or `.shapeMismatch` naming `source` and the key.
    public static func fold(_ pairs: [(convolution: String, norm: String)], in weights: [String: Tensor],
                            epsilon: Double = 1e-5, source: String) throws -> [String: Tensor] {
        var folded = weights
        for (convolution, norm) in pairs {
            func take(_ key: String) throws -> Tensor {
                guard let tensor = folded.removeValue(forKey: key) else {
                    throw ImpastoError.missingKey(key: key, source: source)
                }
                return tensor
            }
            let weight = try take(convolution + "weight")
            let channels = weight.shape.first ?? 0
            let bias = folded.removeValue(forKey: convolution + "bias")
            var statistics: [[Float]] = []
            for suffix in ["weight", "bias", "running_mean", "running_var"] {
                let tensor = try take(norm + suffix)
                guard tensor.shape == [channels] else {
                    throw ImpastoError.shapeMismatch(key: norm + suffix, expected: [channels], actual: tensor.shape)
                }
                statistics.append(tensor.scalars)
            }
            folded[norm + "num_batches_tracked"] = nil
            let (gamma, beta, mean, variance) = (statistics[0], statistics[1], statistics[2], statistics[3])
            let scale = (0..<channels).map { Double(gamma[$0]) / (Double(variance[$0]) + epsilon).squareRoot() }
            let original = bias?.scalars ?? [Float](repeating: 0, count: channels)
            let perChannel = channels == 0 ? 0 : weight.count / channels
            let w = weight.scalars
            folded[convolution + "weight"] = Tensor(shape: weight.shape, scalars: w.indices.map {
                Float(Double(w[$0]) * scale[$0 / perChannel])
            })
            folded[convolution + "bias"] = Tensor(shape: [channels], scalars: (0..<channels).map {
                Float(Double(beta[$0]) + scale[$0] * (Double(original[$0]) - Double(mean[$0])))
            })
        }
        return folded
    }
}
