import Foundation

/// An NVIDIA GPU: cuDNN's convolutions and pooling, cuBLAS's matrix products (TF32 tensor cores allowed) and
/// Impasto's own kernels compiled by NVRTC (activations, gradient accumulation), on the device memory of
/// `Storage.cuda`. Each family's code lives in this folder, one file each; this type routes the `Backend`
/// requirements to it.
///
/// Layout conversions and batch normalization run as the CPU backend's kernels on the host mirrors (correct,
/// not fast); so do the engine's Swift-loop families that `Backend` does not list yet. Float32 throughout: a
/// bf16 precision request computes in float32 with TF32 tensor cores.
struct CUDABackend: Backend {
    let context: CUDAContext

    var device: Device { .cuda(context.ordinal) }

    func rowMajorFloat(_ tensor: Tensor) -> Tensor { CPUBackend.shared.rowMajorFloat(tensor) }

    func relayout(_ tensor: Tensor, like model: Tensor) -> Tensor { CPUBackend.shared.relayout(tensor, like: model) }

    func batchNorm(_ input: Tensor, _ parameters: BatchNormParameters) -> Tensor {
        CPUBackend.shared.batchNorm(input, parameters)
    }

    func linear(_ input: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(input.rank == 2 && weight.rank == 2 && input.shape[1] == weight.shape[1],
                     "linear: input \(input.shape), weight \(weight.shape)")
        let product = Tensor.matmul(input, transposingA: false, weight, transposingB: true)
        return bias.map { product + $0 } ?? product
    }

    // MARK: Operands

    /// A row-major float32 operand on this GPU and its device address. Tensors in another memory (frozen
    /// weights that a model cache loaded on the host) and plain tensors of another type (weights in their
    /// file's type) are converted and uploaded once and kept, keyed by their storage and its version
    /// (`DeviceCopies`).
    func readable(_ tensor: Tensor) -> (tensor: Tensor, address: CUdeviceptr) {
        if case .cuda(let memory) = tensor.storage, memory.context === context {
            // A weight kept in its file's type (f16, bf16, 8-bit codebook) is converted once per version too.
            if tensor.isPlain && tensor.dtype != .f32 {
                return (tensor, context.copies.address(of: tensor, context: context))
            }
            let source = tensor.plain()
            guard case .cuda(let sourceMemory) = source.storage, sourceMemory.context === context else {
                return readable(source)
            }
            return (source, sourceMemory.readableAddress + UInt64(source.offset * 4))
        }
        return (tensor, context.copies.address(of: tensor, context: context))
    }

    /// A new row-major float32 tensor in this GPU's memory, for a kernel to overwrite, and its address.
    func output(_ shape: [Int]) -> (tensor: Tensor, address: CUdeviceptr) {
        let memory = DeviceMemory(context: context, byteCount: max(shape.reduce(1, *), 1) * 4, zeroed: false)
        return (Tensor(shape: shape, storage: .cuda(memory)), memory.writableAddress)
    }
}

/// Device copies of tensors held in other memory, as the CPU backend's `WeightCache` keeps converted weights:
/// one upload per storage version, dropped when the storage is freed.
final class DeviceCopies: @unchecked Sendable {
    private struct Key: Hashable {
        let storage: ObjectIdentifier, version: Int, offset: Int, shape: [Int]
        let dtype: DType
    }
    private struct Entry {
        weak var owner: AnyObject?
        let copy: DeviceMemory
    }
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]

    func address(of tensor: Tensor, context: CUDAContext) -> CUdeviceptr {
        let owner: AnyObject = switch tensor.storage {
        case .host(let memory): memory
        case .cuda(let memory): memory
        }
        let key = Key(storage: tensor.storage.identity, version: tensor.storage.version, offset: tensor.offset,
                      shape: tensor.shape, dtype: tensor.dtype)
        lock.lock()
        if let entry = entries[key], entry.owner === owner {
            lock.unlock()
            return entry.copy.readableAddress
        }
        lock.unlock()
        // Converted on the host, whatever its type and layout, and copied up.
        let converted = Device.$current.withValue(.cpu) { tensor.detached().plain() }
        let copy = withExtendedLifetime(converted) {
            DeviceMemory(context: context, copying: UnsafeRawPointer(converted.viewBase),
                         byteCount: max(converted.count, 1) * 4)
        }
        lock.lock()
        entries = entries.filter { $0.value.owner != nil }
        entries[key] = Entry(owner: owner, copy: copy)
        lock.unlock()
        return copy.readableAddress
    }
}

/// cuBLAS's and cuDNN's α = 1 and β = 0 (and β = 1 for adding into an output), read from host memory.
enum Scale {
    nonisolated(unsafe) static let one: UnsafePointer<Float> = constant(1)
    nonisolated(unsafe) static let zero: UnsafePointer<Float> = constant(0)

    private static func constant(_ value: Float) -> UnsafePointer<Float> {
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
        pointer.initialize(to: value)
        return UnsafePointer(pointer)
    }
}
