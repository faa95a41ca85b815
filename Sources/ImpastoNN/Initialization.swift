import Foundation
import ImpastoTensor

/// Where freshly created layers draw their initial weights from.
///
/// PyTorch's defaults (Kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in) for weights and biases).
/// Inside `Initialization.withSeed(_:_:)` layers draw from a generator of that seed alone, so building a model
/// there gives the same weights every run whatever else runs beside it (a task-local); elsewhere from one
/// process-wide generator.
public enum Initialization {
    /// A generator shared by the layers built in one `withSeed` scope.
    final class Source: @unchecked Sendable {
        private let lock = NSLock()
        private var generator: RandomGenerator

        init(seed: UInt64) { generator = RandomGenerator(seed: seed) }

        func uniform(_ shape: [Int], bound: Float) -> Tensor {
            lock.withLock { Tensor.randomUniform(shape, in: -bound...bound, generator: &generator) }
        }

        func normal(_ shape: [Int]) -> Tensor {
            lock.withLock { Tensor.randomNormal(shape, generator: &generator) }
        }
    }

    @TaskLocal static var source = Source(seed: 0)

    /// Runs `body` with layers drawing their initial weights from a fresh generator seeded with `seed`.
    public static func withSeed<R>(_ seed: UInt64, _ body: () throws -> R) rethrows -> R {
        try $source.withValue(Source(seed: seed), operation: body)
    }

    /// U(−bound, bound) of the given shape, as PyTorch initialises conv and linear layers.
    public static func uniform(_ shape: [Int], bound: Float) -> Tensor {
        source.uniform(shape, bound: bound)
    }

    /// N(0, 1) of the given shape, as PyTorch initialises embeddings.
    public static func normal(_ shape: [Int]) -> Tensor {
        source.normal(shape)
    }
}
