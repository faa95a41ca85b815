import Foundation

/// NVIDIA's libraries, opened once per process (see CUDALibraries.swift for where they are looked for).
struct CUDALibraries: @unchecked Sendable {
    let driver: DriverAPI
    let cublas: CUBLASAPI
    let cudnn: CUDNNAPI
    let nvrtc: NVRTCAPI

    /// Opens and resolves everything, or says in one sentence what is missing.
    static func load(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CUDALibraries {
        let driver = try DriverAPI(DynamicLibrary.open(.driver, environment: environment))
        let (cublas, cudnn, nvrtc) = try loadToolkit(environment: environment)
        return CUDALibraries(driver: driver, cublas: cublas, cudnn: cudnn, nvrtc: nvrtc)
    }

    /// cuBLAS, cuDNN and NVRTC, which load (and NVRTC compiles) on a machine without a GPU or driver.
    static func loadToolkit(environment: [String: String]) throws -> (CUBLASAPI, CUDNNAPI, NVRTCAPI) {
        _ = try DynamicLibrary.open(.cublasLt, environment: environment)
        return (try CUBLASAPI(DynamicLibrary.open(.cublas, environment: environment)),
                try CUDNNAPI(DynamicLibrary.open(.cudnn, environment: environment)),
                try NVRTCAPI(DynamicLibrary.open(.nvrtc, environment: environment)))
    }

    /// The process's libraries: loaded at the first use of a CUDA device, the outcome kept.
    static let shared: Result<CUDALibraries, CUDAUnavailable> = Result {
        do { return try load() } catch let error as CUDAUnavailable { throw error } catch {
            throw CUDAUnavailable(description: "the CUDA libraries could not be loaded: \(error)")
        }
    }.mapError { $0 as! CUDAUnavailable }
}

/// One GPU as the backend uses it: its primary context, one stream that every kernel, library call and copy is
/// queued on (so work runs in program order and freed memory can be handed out again at once), a cuBLAS and a
/// cuDNN handle bound to that stream, the caching allocator and the compiled kernels.
///
/// The handles are not safe to use from two threads at once, so every use goes through `serially`.
final class CUDAContext: @unchecked Sendable {
    let ordinal: Int
    let libraries: CUDALibraries
    let name: String
    let computeCapability: (major: Int, minor: Int)
    private let context: OpaquePointer?
    let stream: OpaquePointer?
    let cublas: OpaquePointer?
    let cudnn: OpaquePointer?
    let allocator: CachingAllocator
    /// Uploads of tensors held in host memory (frozen weights), per storage version.
    let copies = DeviceCopies()
    /// cuDNN's descriptors and chosen algorithms, per convolution and pooling geometry.
    let plans = CUDNNPlans()
    private let lock = NSRecursiveLock()
    private var module: CUDAModule?

    private static let lock = NSLock()
    nonisolated(unsafe) private static var contexts: [Int: Result<CUDAContext, CUDAUnavailable>] = [:]

    /// The context of GPU `ordinal`, created at first use, or why there is none.
    static func of(_ ordinal: Int) -> Result<CUDAContext, CUDAUnavailable> {
        lock.lock()
        defer { lock.unlock() }
        if let known = contexts[ordinal] { return known }
        let created = CUDALibraries.shared.flatMap { libraries in
            Result { try CUDAContext(ordinal: ordinal, libraries: libraries) }.mapError { $0 as! CUDAUnavailable }
        }
        contexts[ordinal] = created
        return created
    }

    private init(ordinal: Int, libraries: CUDALibraries) throws {
        let driver = libraries.driver
        func require(_ result: CUresult, _ what: String) throws {
            guard result == 0 else {
                throw CUDAUnavailable(description: "the CUDA driver could not \(what): \(driver.message(result))")
            }
        }
        try require(driver.cuInit(0), "start")
        var count: Int32 = 0
        try require(driver.cuDeviceGetCount(&count), "count the GPUs")
        guard ordinal >= 0 && ordinal < Int(count) else {
            throw CUDAUnavailable(description: "there is no CUDA device \(ordinal): the driver sees \(count)")
        }
        var device: Int32 = 0
        try require(driver.cuDeviceGet(&device, Int32(ordinal)), "open device \(ordinal)")
        var nameBytes = [CChar](repeating: 0, count: 256)
        _ = driver.cuDeviceGetName(&nameBytes, 256, device)
        name = String(decoding: nameBytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var major: Int32 = 0, minor: Int32 = 0
        try require(driver.cuDeviceGetAttribute(&major, computeCapabilityMajor, device), "read the compute capability")
        try require(driver.cuDeviceGetAttribute(&minor, computeCapabilityMinor, device), "read the compute capability")
        computeCapability = (Int(major), Int(minor))
        var context: OpaquePointer?
        try require(driver.cuDevicePrimaryCtxRetain(&context, device), "create a context on device \(ordinal)")
        try require(driver.cuCtxSetCurrent(context), "make the context current")
        var stream: OpaquePointer?
        try require(driver.cuStreamCreate(&stream, 0), "create a stream")
        var cublas: OpaquePointer?, cudnn: OpaquePointer?
        guard libraries.cublas.cublasCreate(&cublas) == 0 else {
            throw CUDAUnavailable(description: "cuBLAS could not start on device \(ordinal)")
        }
        libraries.cublas.check(libraries.cublas.cublasSetStream(cublas, stream), "cublasSetStream")
        // TF32 tensor cores for float32 products (as PyTorch's allow_tf32); IMPASTO_CUDA_TF32=0 keeps full FP32.
        let tf32 = ProcessInfo.processInfo.environment["IMPASTO_CUDA_TF32"] != "0"
        libraries.cublas.check(libraries.cublas.cublasSetMathMode(cublas, tf32 ? 3 : 0), "cublasSetMathMode")
        guard libraries.cudnn.cudnnCreate(&cudnn) == 0 else {
            throw CUDAUnavailable(description: "cuDNN could not start on device \(ordinal)")
        }
        libraries.cudnn.check(libraries.cudnn.cudnnSetStream(cudnn, stream), "cudnnSetStream")
        (self.ordinal, self.libraries, self.context, self.stream, self.cublas, self.cudnn) =
            (ordinal, libraries, context, stream, cublas, cudnn)
        allocator = CachingAllocator(driver: driver)
    }

    var driver: DriverAPI { libraries.driver }

    /// Runs `body` with this context current on the calling thread, one thread at a time.
    func serially<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        driver.check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent")
        return try body()
    }

    /// Waits for everything queued on the stream.
    func synchronize() {
        serially { driver.check(driver.cuStreamSynchronize(stream), "cuStreamSynchronize") }
    }

    /// Impasto's kernels, compiled by NVRTC for this device at first use.
    var kernels: CUDAModule {
        serially {
            if let module { return module }
            let compiled = CUDAModule(context: self)
            module = compiled
            return compiled
        }
    }
}

/// Device memory freed by tensors, kept for the next allocation of the same size instead of going back to the
/// driver (cuMemFree synchronizes the whole device). Everything runs on the context's one stream, so a block can
/// be handed out again as soon as it is freed: the work queued before still reads it first.
final class CachingAllocator: @unchecked Sendable {
    private let driver: DriverAPI
    private let lock = NSLock()
    private var free: [Int: [CUdeviceptr]] = [:]
    private(set) var cachedBytes = 0

    init(driver: DriverAPI) { self.driver = driver }

    /// Sizes are rounded up to 512 bytes (cuDNN's alignment needs are 256) and, above 1 MiB, to 2 MiB pages so
    /// that nearly equal requests share blocks.
    static func bucket(_ byteCount: Int) -> Int {
        byteCount < 1 << 20 ? max(512, (byteCount + 511) & ~511) : (byteCount + (2 << 20) - 1) & ~((2 << 20) - 1)
    }

    /// A block of at least `byteCount` bytes; the caller's context is current.
    func allocate(_ byteCount: Int) -> CUdeviceptr {
        let size = Self.bucket(byteCount)
        lock.lock()
        if let reused = free[size]?.popLast() {
            cachedBytes -= size
            lock.unlock()
            return reused
        }
        lock.unlock()
        var pointer: CUdeviceptr = 0
        var result = driver.cuMemAlloc(&pointer, size)
        if result != 0 {
            // Out of memory with blocks cached: give them back and try once more.
            release()
            result = driver.cuMemAlloc(&pointer, size)
        }
        driver.check(result, "cuMemAlloc of \(size) bytes")
        return pointer
    }

    func give(_ pointer: CUdeviceptr, byteCount: Int) {
        let size = Self.bucket(byteCount)
        lock.lock()
        free[size, default: []].append(pointer)
        cachedBytes += size
        lock.unlock()
    }

    /// Returns every cached block to the driver.
    func release() {
        lock.lock()
        let blocks = free.values.joined()
        free = [:]
        cachedBytes = 0
        lock.unlock()
        for block in blocks { _ = driver.cuMemFree(block) }
    }
}
