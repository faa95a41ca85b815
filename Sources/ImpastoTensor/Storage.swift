import Foundation

/// Where a tensor's elements live: one case per kind of memory, as candle's `Storage` enum: host memory, or a
/// GPU's (`DeviceMemory`, with a host mirror for the kernels that still run as Swift loops). Every place that
/// reads host memory goes through `host`, so the compiler lists what a new case must answer.
enum Storage: @unchecked Sendable {
    case host(HostMemory)
    case cuda(DeviceMemory)

    /// Zero-filled memory on the current device (`Device.current`).
    init(byteCount: Int) {
        if let context = Device.current.cudaContext {
            self = .cuda(DeviceMemory(context: context, byteCount: byteCount, zeroed: true))
        } else {
            self = .host(HostMemory(byteCount: byteCount))
        }
    }

    /// Memory on the current device every byte of which is about to be written.
    init(uninitializedByteCount byteCount: Int) {
        if let context = Device.current.cudaContext {
            self = .cuda(DeviceMemory(context: context, byteCount: byteCount, zeroed: false))
        } else {
            self = .host(HostMemory(uninitializedByteCount: byteCount))
        }
    }

    /// The device the memory belongs to.
    var device: Device {
        switch self {
        case .host: .cpu
        case .cuda(let memory): .cuda(memory.context.ordinal)
        }
    }

    /// The host memory, for kernels that run on the CPU (for GPU memory, its mirror brought up to date).
    var host: HostMemory {
        switch self {
        case .host(let memory): memory
        case .cuda(let memory): memory.host
        }
    }

    /// The first byte of host memory (CPU kernels only).
    var hostPointer: UnsafeMutableRawPointer { host.pointer }

    var byteCount: Int {
        switch self {
        case .host(let memory): memory.byteCount
        case .cuda(let memory): memory.byteCount
        }
    }

    /// Identifies the memory (not the tensor: views share it), for caches keyed by contents.
    var identity: ObjectIdentifier {
        switch self {
        case .host(let memory): ObjectIdentifier(memory)
        case .cuda(let memory): ObjectIdentifier(memory)
        }
    }

    /// Bumped by every write in place (optimizer steps, `assign`), so that caches derived from the contents
    /// (bf16 copies of weights, reordered layouts) know to rebuild.
    var version: Int {
        switch self {
        case .host(let memory): memory.version
        case .cuda(let memory): memory.version
        }
    }

    /// Marks the contents as changed in place.
    func bumpVersion() {
        switch self {
        case .host(let memory): memory.bumpVersion()
        case .cuda(let memory): memory.bumpVersion()
        }
    }

    /// For 8-bit codebook-quantized weights (u8 tensors), the float each byte value stands for; nil otherwise.
    /// It belongs to the memory, not to a tensor, so every view of the indices reads them through it.
    var codebook: [Float]? { host.codebook }
}

/// A 64-byte aligned block of host memory that tensors share.
final class HostMemory: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    private(set) var version = 0
    /// See `Storage.codebook`; set once, before any tensor reads the memory.
    var codebook: [Float]?

    /// Allocates `byteCount` bytes, zero-filled.
    convenience init(byteCount: Int) {
        self.init(uninitializedByteCount: byteCount)
        memset(pointer, 0, byteCount)
    }

    /// Allocates without clearing, for buffers every byte of which is about to be written.
    init(uninitializedByteCount byteCount: Int) {
        self.byteCount = byteCount
        pointer = BufferPool.shared.take(byteCount: byteCount)
    }

    func bumpVersion() { version &+= 1 }

    deinit { BufferPool.shared.give(pointer, byteCount: byteCount) }
}

/// Keeps large freed buffers for reuse by the next allocation of the same size.
///
/// An optimisation loop allocates the same activations and gradients every iteration. Buffers over glibc's
/// mmap threshold (32 MiB at most) come straight from the kernel, which zero-fills each page on first touch:
/// measured at ~10 % of a VGG-19 forward+backward at 512 px. Handing the previous iteration's buffers back
/// instead keeps that work out of the loop. Small buffers go to malloc, which already reuses them.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Buffers smaller than this are not pooled.
    static let minimumPooledBytes = 1 << 20
    /// The most freed memory kept for reuse (`IMPASTO_BUFFER_CACHE_MB`, default a quarter of RAM, ≤ 4 GiB).
    let capacity: Int

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0

    init() {
        if let megabytes = ProcessInfo.processInfo.environment["IMPASTO_BUFFER_CACHE_MB"].flatMap(Int.init) {
            capacity = max(0, megabytes) << 20
        } else {
            capacity = min(Int(ProcessInfo.processInfo.physicalMemory / 4), 4 << 30)
        }
    }

    /// Pooled sizes are rounded up to whole pages so that nearly equal requests share buffers.
    private static func bucket(_ byteCount: Int) -> Int { (byteCount + 4095) & ~4095 }

    func take(byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= Self.minimumPooledBytes else {
            return UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
        }
        let size = Self.bucket(byteCount)
        lock.lock()
        if let reused = free[size]?.popLast() {
            cachedBytes -= size
            lock.unlock()
            return reused
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        guard byteCount >= Self.minimumPooledBytes else {
            pointer.deallocate()
            return
        }
        let size = Self.bucket(byteCount)
        lock.lock()
        if cachedBytes + size <= capacity {
            free[size, default: []].append(pointer)
            cachedBytes += size
            lock.unlock()
        } else {
            lock.unlock()
            pointer.deallocate()
        }
    }

    /// Returns every cached buffer to the system.
    func drain() {
        lock.lock()
        let buffers = free.values.joined()
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for buffer in buffers { buffer.deallocate() }
    }

    /// Bytes currently held for reuse.
    var cached: Int {
        lock.lock()
        defer { lock.unlock() }
        return cachedBytes
    }
}

extension Tensor {
    /// Gives the memory the engine keeps for reuse between iterations back to the system (for long-running
    /// processes between jobs of different sizes).
    public static func releaseCachedMemory() {
        BufferPool.shared.drain()
    }
}
