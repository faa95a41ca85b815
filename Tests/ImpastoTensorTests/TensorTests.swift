import Testing
@testable import ImpastoTensor
import ImpastoTestSupport

@Test(.onTestDevice) func broadcastingAddAndGradient() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).requiringGradient()
    let b = Tensor(shape: [3], scalars: [10, 20, 30]).requiringGradient()
    let y = ((a + b) * a).sum()
    let expected: Float = 11 + 44 + 99 + 56 + 125 + 216
    #expect(y.scalar == expected)
    let grads = y.backward()
    // d/da (a+b)*a = 2a + b ; d/db = sum over rows of a
    #expect(grads[a]!.scalars == [12, 24, 36, 18, 30, 42])
    #expect(grads[b]!.scalars == [5, 7, 9])
}

@Test(.onTestDevice) func matmulGradient() {
    let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]).requiringGradient()
    let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
    let y = Tensor.matmul(a, b)
    #expect(y.scalars == [19, 22, 43, 50])
    let g = y.sum().backward()
    #expect(g[a]!.scalars == [11, 15, 11, 15])
    #expect(g[b] == nil)
}

/// Products big enough that `BLAS` splits them across threads (by rows, by columns, and Gram matrices by
/// pixel slices) against sums in Double, with every combination of transposes.
@Test(.onTestDevice, arguments: [(false, false), (true, false), (false, true), (true, true)])
func largeProductsSplitAcrossThreadsAgreeWithDirectSums(transposingA: Bool, transposingB: Bool) {
    var generator = RandomGenerator(seed: 2)
    for (m, n, k) in [(600, 40, 130), (40, 600, 130)] {
        let a = Tensor.randomUniform(transposingA ? [k, m] : [m, k], in: -1...1, generator: &generator)
        let b = Tensor.randomUniform(transposingB ? [n, k] : [k, n], in: -1...1, generator: &generator)
        let (x, y) = (a.scalars, b.scalars)
        let product = Tensor.matmul(a, transposingA: transposingA, b, transposingB: transposingB).scalars
        var worst: Double = 0
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    sum += Double(x[transposingA ? p * m + i : i * k + p]) * Double(y[transposingB ? j * k + p : p * n + j])
                }
                worst = max(worst, abs(sum - Double(product[i * n + j])))
            }
        }
        #expect(worst < 1e-4, "\(m)×\(k) @ \(k)×\(n): \(worst)")
    }
    let features = Tensor.randomUniform([1, 70, 33, 35], in: -1...1, generator: &generator)
    let (f, gram) = (features.scalars, gramMatrix(features).scalars)
    var worst: Double = 0
    for i in 0..<70 {
        for j in 0..<70 {
            let sum = (0..<(33 * 35)).reduce(0.0) { $0 + Double(f[i * 33 * 35 + $1]) * Double(f[j * 33 * 35 + $1]) }
            worst = max(worst, abs(sum - Double(gram[i * 70 + j])))
        }
    }
    #expect(worst < 1e-3, "Gram: \(worst)")
}

/// A loop inside another's chunk runs in a nested OpenMP region, where libgomp gives it a team of one: that
/// one thread must still run every chunk.
@Test(.onTestDevice) func nestedParallelLoopsCoverEveryIndexOnce() {
    let (rows, columns) = (4, 100_000)
    var seen = [UInt8](repeating: 0, count: rows * columns)
    seen.withUnsafeMutableBufferPointer { seen in
        parallelFor(rows, grain: 1) { rowRange in
            for row in rowRange {
                parallelFor(columns, grain: 1000) { columnRange in
                    for column in columnRange { seen[row * columns + column] += 1 }
                }
            }
        }
    }
    #expect(seen.allSatisfy { $0 == 1 })
}

@Test(.onTestDevice) func elementwiseGradientsMatchFiniteDifferences() {
    var generator = RandomGenerator(seed: 1)
    let a = Tensor.randomUniform([2, 3, 4], in: 0.5...2, generator: &generator)
    let b = Tensor.randomUniform([3, 1], in: 0.5...2, generator: &generator)
    let result = checkGradients(of: { x in ((x[0] / x[1]).exp() + x[0].log() * x[1] + 2).sqrt() }, at: [a, b])
    #expect(result.worstError < 1e-2, "\(result)")
}

/// Permutes, transposes, expansions and narrowed slices are views of the same storage; ops that take
/// strides (element-wise arithmetic, matmul) read them where they lie, the others get a row-major copy.
/// Their values and gradients are checked against PyTorch in OpsReferenceTests (permutedAdd, transposedMatmul…).
@Test(.onTestDevice) func viewsShareStorage() {
    let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let t = x.transposed(), e = x.reshaped([2, 3, 1]).expanded(to: [2, 3, 4]), s = x.sliced(axis: 1, 1..<3)
    for view in [t, e, s] {
        #expect(view.storage.identity == x.storage.identity && view.isStrided)
    }
    #expect(t.scalars == [1, 4, 2, 5, 3, 6])
    #expect(s.scalars == [2, 3, 5, 6])
    #expect(e.scalars == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6])
    #expect(t.transposed().isPlain, "transposing back gives row-major strides, a plain view")
    #expect(t.permuted([1, 0]).storage.identity == x.storage.identity)
    let product = Tensor.matmul(t, x)  // read with BLAS's transpose flag, no copy
    #expect(product.scalars == Tensor.matmul(t.copy(), x).scalars)
}

/// The engine's one parallel sum adds fixed-size chunks in order, so its result is the sequential sum of the
/// same chunks to the last bit, whatever the number of cores (optimizer dot products and losses rely on it).
@Test(.onTestDevice) func parallelSumAddsFixedChunksInOrder() {
    var state: UInt64 = 42
    let values = (0..<100_003).map { _ -> Double in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(Int64(bitPattern: state >> 11)) * 1e-9
    }
    let grain = 1_000
    let parallel = ImpastoTensor.parallelSum(values.count, grain: grain) { range in values[range].reduce(0, +) }
    let sequential = stride(from: 0, to: values.count, by: grain)
        .map { values[$0..<min(values.count, $0 + grain)].reduce(0, +) }
        .reduce(0, +)
    #expect(parallel == sequential)
}
