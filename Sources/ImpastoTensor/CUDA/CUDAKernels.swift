// Impasto's own CUDA kernels, as CUDA C that NVRTC compiles at first use (for the device's own architecture,
// see `CUDAContext.kernels`) and the context keeps for the life of the process. Only float32, grid-stride loops:
// each thread walks the elements `gridDim.x · blockDim.x` apart, so one launch shape serves every size.
//
// The sources use nothing but CUDA's built-in variables and math functions (no headers: NVRTC has none of the
// toolkit's). scripts/check-cuda-kernels.sh parses and compiles them for sm_90 with the Swift toolchain's clang in
// CUDA mode (that script supplies the few declarations NVRTC has built in); only NVRTC on a GPU machine runs them.

enum CUDAKernels {
    /// The activation codes `activation_forward` and `activation_backward` switch on (see `Activation.cudaCode`).
    enum Code: Int32 {
        case relu = 0, leakyRelu, tanh, sigmoid, hardSwish, geluErf, geluTanh, clip
    }

    /// The kernel names the module exports, as `cuModuleGetFunction` looks them up.
    static let names = ["activation_forward", "activation_backward", "add"]

    static let source = #"""
extern "C" __global__ void activation_forward(const float* x, float* y, long long n, int code, float a, float b) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float v = x[i], r;
        switch (code) {
        case 0: r = v > 0.0f ? v : 0.0f; break;
        case 1: r = v > 0.0f ? v : v * a; break;
        case 2: r = tanhf(v); break;
        case 3: r = 1.0f / (1.0f + expf(-v)); break;
        case 4: r = v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f; break;
        case 5: r = 0.5f * v * (1.0f + erff(v * 0.70710678118654752f)); break;
        case 6: r = 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v))); break;
        default: r = fminf(fmaxf(v, a), b); break;
        }
        y[i] = r;
    }
}

// `saved` is the output for relu, tanh and sigmoid (their derivatives read it off the output, as oneDNN's
// *_use_dst_for_bwd) and the input for the rest. The conventions at the kinks are PyTorch's.
extern "C" __global__ void activation_backward(const float* saved, const float* dy, float* dx, long long n, int code,
                                               float a, float b) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        float s = saved[i], g = dy[i], r;
        switch (code) {
        case 0: r = s > 0.0f ? g : 0.0f; break;
        case 1: r = s > 0.0f ? g : g * a; break;
        case 2: r = g * (1.0f - s * s); break;
        case 3: r = g * s * (1.0f - s); break;
        case 4: r = s < -3.0f ? 0.0f : (s <= 3.0f ? g * (s / 3.0f + 0.5f) : g); break;
        case 5: {
            float cdf = 0.5f * (1.0f + erff(s * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * expf(-0.5f * s * s);
            r = g * (cdf + s * pdf);
            break;
        }
        case 6: {
            const float k = 0.79788456080286536f, c = 0.044715f;
            float t = tanhf(k * (s + c * s * s * s));
            r = g * (0.5f * (1.0f + t) + 0.5f * s * (1.0f - t * t) * k * (1.0f + 3.0f * c * s * s));
            break;
        }
        default: r = (s > a && s < b) ? g : 0.0f; break;
        }
        dx[i] = r;
    }
}

extern "C" __global__ void add(const float* x, const float* y, float* z, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        z[i] = x[i] + y[i];
    }
}
"""#
}

extension Activation {
    /// The kernel's code, its two parameters, and whether the backward pass reads the output.
    var cuda: (code: CUDAKernels.Code, a: Float, b: Float, keepsOutput: Bool) {
        switch self {
        case .relu: (.relu, 0, 0, true)
        case .leakyRelu(let slope): (.leakyRelu, slope, 0, false)
        case .tanh: (.tanh, 0, 0, true)
        case .sigmoid: (.sigmoid, 0, 0, true)
        case .hardSwish: (.hardSwish, 0, 0, false)
        case .gelu(let tanh): (tanh ? .geluTanh : .geluErf, 0, 0, false)
        case .clip(let lower, let upper): (.clip, lower, upper, false)
        }
    }
}
