import Foundation

/// A tensor's memory on a GPU, with a host mirror for the engine's kernels that still run as Swift loops
/// (element-wise arithmetic, reductions, indexing, resampling, normalization statistics, optimizer updates: see
/// `Backend`). Whichever side was written last is current; the other is refreshed when it is next asked for.
///
/// `Storage.host` hands out the mirror for reading and writing alike, so asking for it makes the mirror the
/// current copy (the device copy is uploaded again before the next GPU kernel reads it). A GPU kernel's output
/// makes the device copy current. Both sides are allocated at first use: a convolution's output that only other
/// GPU kernels read never has a mirror.
final class DeviceMemory: @unchecked Sendable {
    let context: CUDAContext
    let byteCount: Int
    private var address: CUdeviceptr = 0
    private var mirror: HostMemory?
    private var hostIsCurrent = true, deviceIsCurrent = true
    private(set) var version = 0
    private let lock = NSLock()

    /// Memory every byte of which is about to be written (`zeroed: false`), or zero-filled.
    init(context: CUDAContext, byteCount: Int, zeroed: Bool) {
        (self.context, self.byteCount) = (context, byteCount)
        if zeroed {
            // Zeros are cheapest written where they are first read; the host is where the engine's initializers
            // write (`Tensor(shape:initializer:)`).
            mirror = HostMemory(byteCount: byteCount)
            deviceIsCurrent = false
        }
    }

    /// A device copy of `count` bytes of host memory.
    convenience init(context: CUDAContext, copying source: UnsafeRawPointer, byteCount: Int) {
        self.init(context: context, byteCount: byteCount, zeroed: false)
        let destination = writableAddress
        context.serially {
            context.driver.check(context.driver.cuMemcpyHtoDAsync(destination, source, byteCount, context.stream),
                                 "cuMemcpyHtoDAsync of \(byteCount) bytes")
        }
    }

    /// The host mirror, brought up to date; the device copy is stale from now on (the caller may write).
    var host: HostMemory {
        lock.lock()
        defer { lock.unlock() }
        let memory = mirror ?? HostMemory(uninitializedByteCount: byteCount)
        mirror = memory
        if !hostIsCurrent {
            let source = address
            context.serially {
                let driver = context.driver
                driver.check(driver.cuMemcpyDtoHAsync(memory.pointer, source, byteCount, context.stream),
                             "cuMemcpyDtoHAsync of \(byteCount) bytes")
                driver.check(driver.cuStreamSynchronize(context.stream), "cuStreamSynchronize")
            }
        }
        (hostIsCurrent, deviceIsCurrent) = (true, false)
        return memory
    }

    /// The device address for a kernel that reads the memory: uploads the mirror if the host wrote last.
    var readableAddress: CUdeviceptr {
        lock.lock()
        defer { lock.unlock() }
        allocateIfNeeded()
        if !deviceIsCurrent, let mirror {
            let destination = address
            context.serially {
                context.driver.check(
                    context.driver.cuMemcpyHtoDAsync(destination, mirror.pointer, byteCount, context.stream),
                    "cuMemcpyHtoDAsync of \(byteCount) bytes")
            }
        }
        deviceIsCurrent = true
        return address
    }

    /// The device address for a kernel that overwrites all of the memory.
    var writableAddress: CUdeviceptr {
        lock.lock()
        defer { lock.unlock() }
        allocateIfNeeded()
        (hostIsCurrent, deviceIsCurrent) = (false, true)
        return address
    }

    private func allocateIfNeeded() {
        if address == 0 { address = context.serially { context.allocator.allocate(byteCount) } }
    }

    func bumpVersion() { version &+= 1 }

    deinit {
        if address != 0 { context.allocator.give(address, byteCount: byteCount) }
    }
}

extension CUdeviceptr {
    /// The address as the raw pointer cuBLAS and cuDNN take, `elements` float32s in.
    func floats(_ elements: Int = 0) -> UnsafeMutableRawPointer? {
        UnsafeMutableRawPointer(bitPattern: UInt(self) + UInt(elements * 4))
    }
}
