/// The kernels a device runs for the engine's ops.
///
/// Ops are written once, over tensors: they check shapes, work out geometry (`ConvolutionGeometry`,
/// `PoolingPlan`), and record autograd; the arithmetic that a device does its own way goes through its backend,
/// found from the operands (`tensor.backend`). The CPU backend (`CPUBackend`, the `CPU/` folder) is oneDNN and
/// OpenBLAS. Each requirement is a kernel family as the device libraries group them (cuDNN has the same
/// families as oneDNN): those whose backward pass keeps library state between the passes (a pooling workspace,
/// a convolution's algorithm, blocked layouts) run their forward pass and record their backward pass
/// themselves; the rest are plain kernels and the op records the gradient with other ops.
///
/// What is not here runs as Swift loops over host memory (element-wise arithmetic, reductions, indexing,
/// resampling, normalization statistics, optimizer updates): those kernels read `Storage.host`, so a device
/// backend gives its `Storage` case an answer there (a copy to and from the host) or adds the family here.
protocol Backend: Sendable {
    /// The device whose memory this backend's kernels read and write.
    var device: Device { get }

    /// `tensor` as row-major float32, whatever its layout and type (no autograd: `plain()` records it).
    func rowMajorFloat(_ tensor: Tensor) -> Tensor
    /// `tensor` converted to `model`'s layout and type (a gradient handed back in its input's form).
    func relayout(_ tensor: Tensor, like model: Tensor) -> Tensor
    /// `a + b` of same-shaped tensors, for accumulating gradients: kept in their layout where they share one.
    func accumulate(_ a: Tensor, _ b: Tensor) -> Tensor

    /// A convolution or transposed convolution (`geometry.kind`), with the backward passes its inputs need.
    func convolution(_ geometry: ConvolutionGeometry, _ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
    /// An element-wise activation in the input's layout and type; `rule`, when given, replaces the
    /// input gradient (it receives the output gradient and the standard rule).
    func activation(_ function: Activation, _ x: Tensor, rule: ActivationGradientRule?) -> Tensor
    /// `input · weightᵀ + bias` for a `[N, in]` input and `[out, in]` weight.
    func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor
    /// Max or average pooling with `plan`'s geometry.
    func pooling(_ plan: PoolingPlan, _ input: Tensor, _ kind: PoolingKind) -> Tensor
    /// Batch normalization over the channels of `input` (see `batchNorm`).
    func batchNorm(_ input: Tensor, _ parameters: BatchNormParameters) -> Tensor

    /// `op(a) @ op(b)` over a broadcast batch (rank ≥ 2 operands; strided views read in place). No autograd.
    func matrixProduct(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) -> Tensor
    /// `F · Fᵀ` for each sample of `[N, C, H, W]` features. No autograd.
    func gram(_ features: Tensor) -> Tensor
}

/// The sizes of `op(a) @ op(b)` over a broadcast batch, checked: `[batch…, m, k] · [batch…, k, n]`.
struct MatrixProductGeometry {
    let sizes: (m: Int, n: Int, k: Int, batch: [Int])

    init(_ a: Tensor, transposingA: Bool, _ b: Tensor, transposingB: Bool) {
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposingA ? (ac, ar) : (ar, ac)
        precondition(k == (transposingB ? bc : br), "matmul of \(a.shape) and \(b.shape)")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        sizes = (m, transposingB ? br : bc, k, batchA == batchB ? batchA : broadcastShape(batchA, batchB))
    }
}

/// Everything that determines a 2-D convolution or transposed convolution, in PyTorch's terms.
struct ConvolutionGeometry {
    enum Kind: String { case convolution, deconvolution }

    let kind: Kind
    /// `[N, C, H, W]` in, `[N, O, H', W']` out.
    let source: [Int], destination: [Int]
    /// PyTorch's weight shape: `[O, I / groups, kh, kw]`, for a transposed convolution `[I, O / groups, kh, kw]`.
    let weight: [Int]
    let stride: (Int, Int), dilation: (Int, Int)
    let padding: (left: Int, right: Int, top: Int, bottom: Int)
    let groups: Int
    let dtype: DType
}

/// The element-wise activations a backend provides.
enum Activation: Hashable {
    case relu, leakyRelu(negativeSlope: Float), tanh, sigmoid, hardSwish, gelu(tanhApproximation: Bool)
    /// min(max(x, lower), upper); the gradient passes strictly inside the range only, as PyTorch's `hardtanh`.
    case clip(lower: Float, upper: Float)
}

/// An activation's replacement input-gradient rule: `(outputGradient, standardRule) -> inputGradient`.
typealias ActivationGradientRule = (_ gradient: Tensor, _ standard: () -> Tensor) -> Tensor

enum PoolingKind {
    case max
    /// Average over each window; `includePadding` divides by the whole kernel area, zero padding included.
    case average(includePadding: Bool)
}

/// Batch normalization's operands and settings (see `batchNorm`).
struct BatchNormParameters {
    let runningMean: Tensor?, runningVariance: Tensor?, weight: Tensor?, bias: Tensor?
    let training: Bool
    let momentum: Float, epsilon: Float
}
