/// The processor a tensor's memory belongs to and its ops run on.
///
/// The CPU is the only device today. A tensor's device is its storage's (`Storage`); ops run on their
/// operands' device through that device's `Backend`. A GPU backend adds a case here (`cuda(Int)`), a
/// `Storage` case for its memory, and a `Backend` conformance; see the README's architecture section.
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu

    public var description: String {
        switch self {
        case .cpu: "cpu"
        }
    }

    /// The kernels that run on this device.
    var backend: any Backend {
        switch self {
        case .cpu: CPUBackend.shared
        }
    }
}

extension Tensor {
    /// The device whose memory holds the elements.
    public var device: Device { storage.device }

    /// The backend the ops on this tensor run on.
    var backend: any Backend { device.backend }

    /// This tensor on `device`: itself when it is already there.
    public func to(_ device: Device) -> Tensor {
        precondition(device == self.device, "no backend moves tensors from \(self.device) to \(device) yet")
        return self
    }
}
