import Foundation

// cuBLAS (cublas_api.h), cuDNN 9's legacy convolution and pooling API (cudnn_ops.h, cudnn_cnn.h) and NVRTC
// (nvrtc.h): the entry points the backend calls, as C function types. Handles and descriptors are opaque
// pointers; statuses are Int32 with 0 for success; device addresses are passed as raw pointers.

typealias DevicePointer = UnsafeMutableRawPointer?
typealias Descriptor = OpaquePointer?

struct CUBLASAPI: @unchecked Sendable {
    let cublasCreate: @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    let cublasSetStream: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let cublasSetMathMode: @convention(c) (OpaquePointer?, Int32) -> Int32
    /// (handle, transa, transb, m, n, k, α, A, lda, strideA, B, ldb, strideB, β, C, ldc, strideC, batch)
    let cublasSgemmStridedBatched: @convention(c) (
        OpaquePointer?, Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>, UnsafeRawPointer?, Int32, Int64,
        UnsafeRawPointer?, Int32, Int64, UnsafePointer<Float>, DevicePointer, Int32, Int64, Int32) -> Int32
    let cublasGetStatusString: @convention(c) (Int32) -> UnsafePointer<CChar>?

    init(_ library: DynamicLibrary) throws {
        cublasCreate = try library.function("cublasCreate_v2")
        cublasSetStream = try library.function("cublasSetStream_v2")
        cublasSetMathMode = try library.function("cublasSetMathMode")
        cublasSgemmStridedBatched = try library.function("cublasSgemmStridedBatched")
        cublasGetStatusString = try library.function("cublasGetStatusString")
    }

    func check(_ status: Int32, _ what: @autoclosure () -> String) {
        precondition(status == 0, "cuBLAS: \(what()) failed: \(cublasGetStatusString(status).map { String(cString: $0) } ?? "status \(status)")")
    }
}

/// cuDNN's `cudnnConvolutionFwdAlgoPerf_t` (and the backward ones, laid out alike): the algorithm, its status,
/// time, workspace bytes, determinism and math type, then three reserved ints; 48 bytes with C's alignment, as
/// Swift lays out these fields (checked in CUDALoaderTests). The find functions fill an array of them.
struct ConvolutionAlgorithmPerformance {
    var algorithm: Int32 = 0, status: Int32 = 0
    var time: Float = 0
    var memory: Int = 0
    var determinism: Int32 = 0, mathType: Int32 = 0
    var reserved: (Int32, Int32, Int32) = (0, 0, 0)
}

struct CUDNNAPI: @unchecked Sendable {
    typealias FindAlgorithm = @convention(c) (OpaquePointer?, Descriptor, Descriptor, Descriptor, Descriptor, Int32,
                                              UnsafeMutablePointer<Int32>, UnsafeMutableRawPointer) -> Int32
    /// Forward: (handle, α, xDesc, x, wDesc, w, conv, algo, workspace, bytes, β, yDesc, y); the backward passes
    /// have the same shape with their operands in cuDNN's order.
    typealias ConvolutionPass = @convention(c) (OpaquePointer?, UnsafeRawPointer, Descriptor, UnsafeRawPointer?,
                                                Descriptor, UnsafeRawPointer?, Descriptor, Int32, DevicePointer, Int,
                                                UnsafeRawPointer, Descriptor, DevicePointer) -> Int32

    let cudnnGetVersion: @convention(c) () -> Int
    let cudnnCreate: @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    let cudnnSetStream: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let cudnnGetErrorString: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let cudnnCreateTensorDescriptor: @convention(c) (UnsafeMutablePointer<Descriptor>) -> Int32
    let cudnnSetTensor4dDescriptor: @convention(c) (Descriptor, Int32, Int32, Int32, Int32, Int32, Int32) -> Int32
    let cudnnDestroyTensorDescriptor: @convention(c) (Descriptor) -> Int32
    let cudnnCreateFilterDescriptor: @convention(c) (UnsafeMutablePointer<Descriptor>) -> Int32
    let cudnnSetFilter4dDescriptor: @convention(c) (Descriptor, Int32, Int32, Int32, Int32, Int32, Int32) -> Int32
    let cudnnDestroyFilterDescriptor: @convention(c) (Descriptor) -> Int32
    let cudnnCreateConvolutionDescriptor: @convention(c) (UnsafeMutablePointer<Descriptor>) -> Int32
    /// (desc, padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType)
    let cudnnSetConvolution2dDescriptor: @convention(c) (Descriptor, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                                                         Int32) -> Int32
    let cudnnSetConvolutionGroupCount: @convention(c) (Descriptor, Int32) -> Int32
    let cudnnSetConvolutionMathType: @convention(c) (Descriptor, Int32) -> Int32
    let cudnnDestroyConvolutionDescriptor: @convention(c) (Descriptor) -> Int32
    let cudnnFindConvolutionForwardAlgorithm: FindAlgorithm
    let cudnnFindConvolutionBackwardDataAlgorithm: FindAlgorithm
    let cudnnFindConvolutionBackwardFilterAlgorithm: FindAlgorithm
    let cudnnConvolutionForward: ConvolutionPass
    let cudnnConvolutionBackwardData: ConvolutionPass
    let cudnnConvolutionBackwardFilter: ConvolutionPass
    /// (handle, α, dyDesc, dy, β, dbDesc, db)
    let cudnnConvolutionBackwardBias: @convention(c) (OpaquePointer?, UnsafeRawPointer, Descriptor, UnsafeRawPointer?,
                                                      UnsafeRawPointer, Descriptor, DevicePointer) -> Int32
    /// (handle, α, aDesc, A, β, cDesc, C): C = α·A + β·C, A broadcast (a bias [1, C, 1, 1]).
    let cudnnAddTensor: @convention(c) (OpaquePointer?, UnsafeRawPointer, Descriptor, UnsafeRawPointer?,
                                        UnsafeRawPointer, Descriptor, DevicePointer) -> Int32
    let cudnnCreatePoolingDescriptor: @convention(c) (UnsafeMutablePointer<Descriptor>) -> Int32
    /// (desc, mode, NaN propagation, windowH, windowW, padH, padW, strideH, strideW)
    let cudnnSetPooling2dDescriptor: @convention(c) (Descriptor, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                                                     Int32) -> Int32
    let cudnnDestroyPoolingDescriptor: @convention(c) (Descriptor) -> Int32
    /// (handle, pool, α, xDesc, x, β, yDesc, y)
    let cudnnPoolingForward: @convention(c) (OpaquePointer?, Descriptor, UnsafeRawPointer, Descriptor,
                                             UnsafeRawPointer?, UnsafeRawPointer, Descriptor, DevicePointer) -> Int32
    /// (handle, pool, α, yDesc, y, dyDesc, dy, xDesc, x, β, dxDesc, dx)
    let cudnnPoolingBackward: @convention(c) (OpaquePointer?, Descriptor, UnsafeRawPointer, Descriptor,
                                              UnsafeRawPointer?, Descriptor, UnsafeRawPointer?, Descriptor,
                                              UnsafeRawPointer?, UnsafeRawPointer, Descriptor, DevicePointer) -> Int32

    init(_ library: DynamicLibrary) throws {
        cudnnGetVersion = try library.function("cudnnGetVersion")
        cudnnCreate = try library.function("cudnnCreate")
        cudnnSetStream = try library.function("cudnnSetStream")
        cudnnGetErrorString = try library.function("cudnnGetErrorString")
        cudnnCreateTensorDescriptor = try library.function("cudnnCreateTensorDescriptor")
        cudnnSetTensor4dDescriptor = try library.function("cudnnSetTensor4dDescriptor")
        cudnnDestroyTensorDescriptor = try library.function("cudnnDestroyTensorDescriptor")
        cudnnCreateFilterDescriptor = try library.function("cudnnCreateFilterDescriptor")
        cudnnSetFilter4dDescriptor = try library.function("cudnnSetFilter4dDescriptor")
        cudnnDestroyFilterDescriptor = try library.function("cudnnDestroyFilterDescriptor")
        cudnnCreateConvolutionDescriptor = try library.function("cudnnCreateConvolutionDescriptor")
        cudnnSetConvolution2dDescriptor = try library.function("cudnnSetConvolution2dDescriptor")
        cudnnSetConvolutionGroupCount = try library.function("cudnnSetConvolutionGroupCount")
        cudnnSetConvolutionMathType = try library.function("cudnnSetConvolutionMathType")
        cudnnDestroyConvolutionDescriptor = try library.function("cudnnDestroyConvolutionDescriptor")
        cudnnFindConvolutionForwardAlgorithm = try library.function("cudnnFindConvolutionForwardAlgorithm")
        cudnnFindConvolutionBackwardDataAlgorithm = try library.function("cudnnFindConvolutionBackwardDataAlgorithm")
        cudnnFindConvolutionBackwardFilterAlgorithm = try library.function("cudnnFindConvolutionBackwardFilterAlgorithm")
        cudnnConvolutionForward = try library.function("cudnnConvolutionForward")
        cudnnConvolutionBackwardData = try library.function("cudnnConvolutionBackwardData")
        cudnnConvolutionBackwardFilter = try library.function("cudnnConvolutionBackwardFilter")
        cudnnConvolutionBackwardBias = try library.function("cudnnConvolutionBackwardBias")
        cudnnAddTensor = try library.function("cudnnAddTensor")
        cudnnCreatePoolingDescriptor = try library.function("cudnnCreatePoolingDescriptor")
        cudnnSetPooling2dDescriptor = try library.function("cudnnSetPooling2dDescriptor")
        cudnnDestroyPoolingDescriptor = try library.function("cudnnDestroyPoolingDescriptor")
        cudnnPoolingForward = try library.function("cudnnPoolingForward")
        cudnnPoolingBackward = try library.function("cudnnPoolingBackward")
    }

    func check(_ status: Int32, _ what: @autoclosure () -> String) {
        precondition(status == 0, "cuDNN: \(what()) failed: \(cudnnGetErrorString(status).map { String(cString: $0) } ?? "status \(status)")")
    }
}

struct NVRTCAPI: @unchecked Sendable {
    /// (program, source, name, header count, headers, include names)
    let nvrtcCreateProgram: @convention(c) (UnsafeMutablePointer<OpaquePointer?>, UnsafePointer<CChar>,
                                            UnsafePointer<CChar>?, Int32, UnsafePointer<UnsafePointer<CChar>?>?,
                                            UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    let nvrtcCompileProgram: @convention(c) (OpaquePointer?, Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> Int32
    let nvrtcGetProgramLogSize: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>) -> Int32
    let nvrtcGetProgramLog: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>) -> Int32
    let nvrtcGetCUBINSize: @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int>) -> Int32
    let nvrtcGetCUBIN: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>) -> Int32
    let nvrtcDestroyProgram: @convention(c) (UnsafeMutablePointer<OpaquePointer?>) -> Int32
    let nvrtcGetErrorString: @convention(c) (Int32) -> UnsafePointer<CChar>?

    init(_ library: DynamicLibrary) throws {
        nvrtcCreateProgram = try library.function("nvrtcCreateProgram")
        nvrtcCompileProgram = try library.function("nvrtcCompileProgram")
        nvrtcGetProgramLogSize = try library.function("nvrtcGetProgramLogSize")
        nvrtcGetProgramLog = try library.function("nvrtcGetProgramLog")
        nvrtcGetCUBINSize = try library.function("nvrtcGetCUBINSize")
        nvrtcGetCUBIN = try library.function("nvrtcGetCUBIN")
        nvrtcDestroyProgram = try library.function("nvrtcDestroyProgram")
        nvrtcGetErrorString = try library.function("nvrtcGetErrorString")
    }

    func message(_ status: Int32) -> String {
        nvrtcGetErrorString(status).map { String(cString: $0) } ?? "status \(status)"
    }
}
