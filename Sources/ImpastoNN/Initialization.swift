import Foundation

/// Where freshly created layers draw their initial weights from.
///
/// PyTorch's defaults (Kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in) for weights and biases)
/// from one process-wide seeded generator, so that `seedInitialization(_:)` followed by building a model
/// gives the same weights every run.
public enum Initialization {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var generator = RandomGenerator(seed: 0)

    /// Restarts the initialisation sequence from `seed`.
    public static func seed(_ seed: UInt64) {
        lock.withLock { generator = RandomGenerator(seed: seed) }
    }

    /// U(−bound, bound) of the given shape, as PyTorch initialises conv and linear layers.
    public static func uniform(_ shape: [Int], bound: Float) -> Tensor {
        lock.withLock { Tensor.randomUniform(shape, in: -bound...bound, generator: &generator) }
    }
}
