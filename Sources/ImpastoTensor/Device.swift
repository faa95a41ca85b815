/// The processor a tensor's memory belongs to and its ops run on.
///
/// A tensor's device is its storage's (`Storage`); ops run on their operands' device through that device's
/// `Backend`. New tensors are made on `Device.current`, a task-local that a job sets for its whole run
/// (`Device.$current.withValue(.cuda(0)) { … }`), so that everything an op allocates, intermediate results
/// included, lives where its inputs do. `.cuda(n)` is NVIDIA GPU `n` through `CUDABackend` (CUDA/), whose
/// libraries are opened at run time: call `prepare()` first, which says in one sentence why a GPU cannot be used.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    /// An NVIDIA GPU, by the driver's ordinal.
    case cuda(Int)

    /// Where new tensors are made; `.cpu` unless a job chose otherwise.
    @TaskLocal public static var current: Device = .cpu

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let ordinal): "cuda:\(ordinal)"
        }
    }

    /// Parses `cpu`, `cuda` (GPU 0) or `cuda:N`; nil for anything else.
    public init?(parsing text: String) {
        switch text {
        case "cpu": self = .cpu
        case "cuda": self = .cuda(0)
        default:
            guard text.hasPrefix("cuda:"), let ordinal = Int(text.dropFirst(5)), ordinal >= 0 else { return nil }
            self = .cuda(ordinal)
        }
    }

    /// Makes sure the device can run the engine's ops (for a GPU: its libraries load, the driver sees it, a
    /// context starts), or throws one sentence saying why not. Cheap after the first call.
    public func prepare() throws {
        if case .cuda(let ordinal) = self { _ = try CUDAContext.of(ordinal).get() }
    }

    /// Waits until every kernel queued on this device has finished (for timing; reading a tensor's values
    /// waits by itself).
    public func synchronize() {
        cudaContext?.synchronize()
    }

    /// A one-line description of the hardware (the GPU's name, compute capability and cuDNN version).
    public var hardwareDescription: String {
        guard let context = cudaContext else { return description }
        return "\(description) (\(context.name), sm_\(context.computeCapability.major)\(context.computeCapability.minor), "
            + "cuDNN \(context.libraries.cudnn.cudnnGetVersion()))"
    }

    /// The GPU's context, when this is a GPU that `prepare()` accepted.
    var cudaContext: CUDAContext? {
        guard case .cuda(let ordinal) = self else { return nil }
        return try? CUDAContext.of(ordinal).get()
    }

    /// The kernels that run on this device.
    var backend: any Backend {
        switch self {
        case .cpu: return CPUBackend.shared
        case .cuda:
            guard let context = cudaContext else { preconditionFailure("\(self) used without a successful prepare()") }
            return CUDABackend(context: context)
        }
    }
}

extension Tensor {
    /// The device whose memory holds the elements.
    public var device: Device { storage.device }

    /// The backend the ops on this tensor run on.
    var backend: any Backend { device.backend }

    /// This tensor on `device`: itself when it is already there, otherwise a copy in the same type and layout
    /// whose gradient is copied back. The device must have been prepared (`Device.prepare()`).
    public func to(_ device: Device) -> Tensor {
        guard device != self.device else { return self }
        let source = isStrided ? contiguous() : self
        let storage: Storage
        if let context = device.cudaContext {
            storage = .cuda(DeviceMemory(context: context, copying: source.storage.host.pointer,
                                         byteCount: source.storage.byteCount))
        } else {
            precondition(device == .cpu, "\(device) used without a successful prepare()")
            let memory = HostMemory(uninitializedByteCount: source.storage.byteCount)
            memory.pointer.copyMemory(from: source.storage.host.pointer, byteCount: source.storage.byteCount)
            storage = .host(memory)
        }
        let moved = Tensor(shape: shape, dtype: source.dtype, storage: storage, offset: source.offset,
                           layout: source.layout)
        let origin = self.device
        return Tensor.record(moved, inputs: [source]) { gradient in [gradient.to(origin)] }
    }
}
