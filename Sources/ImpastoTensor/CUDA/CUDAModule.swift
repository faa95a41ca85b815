import Foundation

/// `CUDAKernels.source` compiled by NVRTC for one device's architecture (a cubin for `sm_XY`, so the driver
/// does no JIT step) and loaded into its context, with each kernel's function handle.
final class CUDAModule: @unchecked Sendable {
    private let context: CUDAContext
    private var functions: [String: OpaquePointer] = [:]

    /// Threads per block of every launch, and the most blocks a grid-stride launch uses.
    static let blockSize = 256, maximumBlocks = 4096

    /// Called once per context, inside `serially`.
    init(context: CUDAContext) {
        self.context = context
        let cubin = Self.compile(CUDAKernels.source, options: Self.options(context.computeCapability),
                                 nvrtc: context.libraries.nvrtc)
        let driver = context.driver
        var module: OpaquePointer?
        cubin.withUnsafeBytes { bytes in
            driver.check(driver.cuModuleLoadData(&module, bytes.baseAddress!), "cuModuleLoadData of Impasto's kernels")
        }
        for name in CUDAKernels.names {
            var function: OpaquePointer?
            driver.check(driver.cuModuleGetFunction(&function, module, name), "cuModuleGetFunction(\(name))")
            functions[name] = function
        }
    }

    /// NVRTC's options for a device of compute capability `major.minor`.
    static func options(_ capability: (major: Int, minor: Int)) -> [String] {
        ["--gpu-architecture=sm_\(capability.major)\(capability.minor)", "--std=c++17"]
    }

    /// NVRTC's cubin for `source`; a compile error stops with NVRTC's log (the sources are Impasto's own).
    static func compile(_ source: String, options: [String], nvrtc: NVRTCAPI) -> [UInt8] {
        var program: OpaquePointer?
        let created = nvrtc.nvrtcCreateProgram(&program, source, "impasto_kernels.cu", 0, nil, nil)
        precondition(created == 0, "NVRTC: nvrtcCreateProgram failed: \(nvrtc.message(created))")
        defer { _ = nvrtc.nvrtcDestroyProgram(&program) }
        let cOptions = options.map { strdup($0) }
        defer { cOptions.forEach { free($0) } }
        let status = cOptions.map { UnsafePointer($0) }.withUnsafeBufferPointer { pointers in
            nvrtc.nvrtcCompileProgram(program, Int32(pointers.count), pointers.baseAddress)
        }
        if status != 0 {
            var size = 0
            _ = nvrtc.nvrtcGetProgramLogSize(program, &size)
            var log = [CChar](repeating: 0, count: max(size, 1))
            _ = nvrtc.nvrtcGetProgramLog(program, &log)
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            preconditionFailure("NVRTC could not compile Impasto's kernels (\(nvrtc.message(status))): \(text)")
        }
        var size = 0
        precondition(nvrtc.nvrtcGetCUBINSize(program, &size) == 0 && size > 0, "NVRTC: no cubin")
        var cubin = [CChar](repeating: 0, count: size)
        precondition(nvrtc.nvrtcGetCUBIN(program, &cubin) == 0, "NVRTC: nvrtcGetCUBIN failed")
        return cubin.map { UInt8(bitPattern: $0) }
    }

    /// One argument of a kernel launch: a device address, an element count, a code or a float.
    enum Argument {
        case address(CUdeviceptr), count(Int), code(Int32), float(Float)
    }

    /// Launches `name` over `elements` elements (grid-stride) on the context's stream.
    func launch(_ name: String, elements: Int, _ arguments: [Argument]) {
        guard elements > 0 else { return }
        let function = functions[name]!
        let blocks = min((elements + Self.blockSize - 1) / Self.blockSize, Self.maximumBlocks)
        // Every argument in its own 8-byte slot; cuLaunchKernel copies them out before returning.
        let slots = UnsafeMutableRawPointer.allocate(byteCount: 8 * arguments.count, alignment: 8)
        defer { slots.deallocate() }
        var pointers = [UnsafeMutableRawPointer?]()
        for (index, argument) in arguments.enumerated() {
            let slot = slots + 8 * index
            switch argument {
            case .address(let address): slot.storeBytes(of: address, as: UInt64.self)
            case .count(let count): slot.storeBytes(of: Int64(count), as: Int64.self)
            case .code(let code): slot.storeBytes(of: code, as: Int32.self)
            case .float(let value): slot.storeBytes(of: value, as: Float.self)
            }
            pointers.append(slot)
        }
        let driver = context.driver
        context.serially {
            let result = pointers.withUnsafeMutableBufferPointer { parameters in
                driver.cuLaunchKernel(function, UInt32(blocks), 1, 1, UInt32(Self.blockSize), 1, 1, 0, context.stream,
                                      parameters.baseAddress, nil)
            }
            driver.check(result, "launching \(name) over \(elements) elements")
        }
    }
}
