import Foundation

// The driver API (cuda.h), the entry points the backend calls, as C function types. Handles are opaque pointers,
// `CUdeviceptr` a 64-bit address, `CUresult` an Int32 (0 is CUDA_SUCCESS). The `_v2` names are the ones cuda.h's
// macros select since CUDA 3.2 (64-bit sizes).

typealias CUresult = Int32
typealias CUdeviceptr = UInt64

struct DriverAPI: @unchecked Sendable {
    let library: DynamicLibrary
    let cuInit: @convention(c) (UInt32) -> CUresult
    let cuDeviceGetCount: @convention(c) (UnsafeMutablePointer<Int32>) -> CUresult
    let cuDeviceGet: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> CUresult
    let cuDeviceGetName: @convention(c) (UnsafeMutablePointer<CChar>, Int32, Int32) -> CUresult
    let cuDeviceGetAttribute: @convention(c) (UnsafeMutablePointer<Int32>, Int32, Int32) -> CUresult
    let cuDevicePrimaryCtxRetain: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, Int32) -> CUresult
    let cuCtxSetCurrent: @convention(c) (OpaquePointer?) -> CUresult
    let cuStreamCreate: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UInt32) -> CUresult
    let cuStreamSynchronize: @convention(c) (OpaquePointer?) -> CUresult
    let cuMemAlloc: @convention(c) (UnsafeMutablePointer<CUdeviceptr>, Int) -> CUresult
    let cuMemFree: @convention(c) (CUdeviceptr) -> CUresult
    let cuMemcpyHtoDAsync: @convention(c) (CUdeviceptr, UnsafeRawPointer, Int, OpaquePointer?) -> CUresult
    let cuMemcpyDtoHAsync: @convention(c) (UnsafeMutableRawPointer, CUdeviceptr, Int, OpaquePointer?) -> CUresult
    let cuModuleLoadData: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafeRawPointer) -> CUresult
    let cuModuleGetFunction: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, OpaquePointer?,
                                             UnsafePointer<CChar>) -> CUresult
    let cuLaunchKernel: @convention(c) (OpaquePointer?, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                                        OpaquePointer?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                        UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> CUresult
    let cuGetErrorString: @convention(c) (CUresult, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> CUresult

    init(_ library: DynamicLibrary) throws {
        self.library = library
        cuInit = try library.function("cuInit")
        cuDeviceGetCount = try library.function("cuDeviceGetCount")
        cuDeviceGet = try library.function("cuDeviceGet")
        cuDeviceGetName = try library.function("cuDeviceGetName")
        cuDeviceGetAttribute = try library.function("cuDeviceGetAttribute")
        cuDevicePrimaryCtxRetain = try library.function("cuDevicePrimaryCtxRetain")
        cuCtxSetCurrent = try library.function("cuCtxSetCurrent")
        cuStreamCreate = try library.function("cuStreamCreate")
        cuStreamSynchronize = try library.function("cuStreamSynchronize")
        cuMemAlloc = try library.function("cuMemAlloc_v2")
        cuMemFree = try library.function("cuMemFree_v2")
        cuMemcpyHtoDAsync = try library.function("cuMemcpyHtoDAsync_v2")
        cuMemcpyDtoHAsync = try library.function("cuMemcpyDtoHAsync_v2")
        cuModuleLoadData = try library.function("cuModuleLoadData")
        cuModuleGetFunction = try library.function("cuModuleGetFunction")
        cuLaunchKernel = try library.function("cuLaunchKernel")
        cuGetErrorString = try library.function("cuGetErrorString")
    }

    /// The driver's name for `result`.
    func message(_ result: CUresult) -> String {
        var text: UnsafePointer<CChar>?
        guard cuGetErrorString(result, &text) == 0, let text else { return "CUresult \(result)" }
        return String(cString: text)
    }

    /// Stops with the driver's message: a failed call after start-up is a bug or a lost device, not bad input.
    func check(_ result: CUresult, _ what: @autoclosure () -> String) {
        precondition(result == 0, "CUDA driver: \(what()) failed: \(message(result))")
    }
}

/// `CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR` and `_MINOR` (cuda.h).
let computeCapabilityMajor: Int32 = 75, computeCapabilityMinor: Int32 = 76
