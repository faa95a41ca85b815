// The CUDA backend's run-time loading, on a machine with or without NVIDIA's libraries: the search order, the
// one-sentence failures, and the kernels' CUDA C parsing. (The kernels and library calls themselves run only on a
// GPU: scripts/gpu-check.sh reruns this target's op tests there with IMPASTO_TEST_DEVICE=cuda.)
import Foundation
import Testing
@testable import ImpastoTensor

/// Whether the dynamic loader finds the CUDA driver here (these tests' failure cases need it absent).
private let driverIsInstalled = dlopen("libcuda.so.1", RTLD_NOW) != nil

@Suite struct CUDALoaderTests {
    /// A fresh empty directory, removed by the caller.
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-cuda-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingLibraryIsOneSentenceNamingItAndWhereItLooked() throws {
        let empty = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: empty) }
        let spec = CUDALibrarySpec(role: "cuDNN 9", fileNames: ["libimpasto-absent.so.9"])
        let error = try #require(throws: CUDAUnavailable.self) {
            try DynamicLibrary.open(spec, environment: ["IMPASTO_CUDA_LIBRARY_PATH": empty.path])
        }
        #expect(error.description == "cuDNN 9 (libimpasto-absent.so.9) was not found: looked in LD_LIBRARY_PATH and "
            + "the system library path, then \(CUDALibrarySearch.directories(environment: ["IMPASTO_CUDA_LIBRARY_PATH": empty.path]).joined(separator: ", ")); "
            + "set IMPASTO_CUDA_LIBRARY_PATH to the directory that holds it")
        #expect(error.description.contains(empty.path))
        #expect(!error.description.contains("\n"))
    }

    @Test(.enabled(if: !driverIsInstalled, "the CUDA driver is installed here"))
    func withoutTheDriverTheDeviceSaysSoInOneSentence() throws {
        let error = try #require(throws: CUDAUnavailable.self) { try Device.cuda(0).prepare() }
        #expect(error.description.hasPrefix("the CUDA driver (libcuda.so.1 or libcuda.so) was not found: looked in "
            + "LD_LIBRARY_PATH and the system library path"))
        #expect(!error.description.contains("\n"))
        // The outcome is kept: asking again gives the same sentence without searching again.
        #expect(throws: CUDAUnavailable.self) { try Device.cuda(0).prepare() }
        #expect(Device.cuda(0).cudaContext == nil)
    }

    @Test func searchOrderIsTheVariableThenPythonWheelsThenTheToolkit() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let sitePackages = root.appendingPathComponent("venv/lib/python3.11/site-packages")
        for package in ["cudnn", "cublas", "cu13", "no_lib_here"] {
            let directory = sitePackages.appendingPathComponent("nvidia/\(package)")
            try FileManager.default.createDirectory(
                at: package == "no_lib_here" ? directory : directory.appendingPathComponent("lib"),
                withIntermediateDirectories: true)
        }
        let explicit = root.appendingPathComponent("toolkit").path
        let directories = CUDALibrarySearch.directories(environment: [
            "IMPASTO_CUDA_LIBRARY_PATH": explicit + ":" + explicit, "VIRTUAL_ENV": root.appendingPathComponent("venv").path,
        ])
        let wheels = ["cu13", "cublas", "cudnn"].map { sitePackages.appendingPathComponent("nvidia/\($0)/lib").path }
        #expect(Array(directories.prefix(4)) == [explicit] + wheels)
    }

    @Test func aLibraryIsFoundInTheNamedDirectoryAndItsSymbolsResolve() throws {
        // libm under another name stands in for an NVIDIA library: what is tested is the search and dlsym, not CUDA.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let libm = try #require(["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6"]
            .first { FileManager.default.fileExists(atPath: $0) })
        let copy = directory.appendingPathComponent("libimpasto-test-math.so.1")
        try FileManager.default.copyItem(atPath: libm, toPath: copy.path)
        let spec = CUDALibrarySpec(role: "a test library", fileNames: ["libimpasto-test-math.so.1"])
        let library = try DynamicLibrary.open(spec, environment: ["IMPASTO_CUDA_LIBRARY_PATH": directory.path])
        #expect(library.path == copy.path)
        let cosine: @convention(c) (Double) -> Double = try library.function("cos")
        #expect(cosine(0) == 1)
        let error = try #require(throws: CUDAUnavailable.self) {
            let _: @convention(c) (UInt32) -> Int32 = try library.function("cuInit")
        }
        #expect(error.description == "a test library at \(copy.path) has no function cuInit (an older version than Impasto needs?)")
    }

    /// The project's dev virtual environment (scripts/dev-python.sh), whose CUDA build of PyTorch brings NVIDIA's
    /// wheels: cuBLAS and NVRTC 13 in nvidia/cu13/lib, cuDNN 9 in nvidia/cudnn/lib. No driver comes with them.
    static let devEnvironment = FileManager.default.homeDirectoryForCurrentUser
        .appendingPathComponent(".cache/impasto-dev/venv").path
    static let devEnvironmentHasNVIDIAWheels = CUDALibrarySearch.pythonSitePackages(environment: ["VIRTUAL_ENV": devEnvironment])
        .contains { !CUDALibrarySearch.nvidiaLibraryDirectories(in: $0).isEmpty }

    @Test(.enabled(if: devEnvironmentHasNVIDIAWheels, "no NVIDIA wheels in the dev virtual environment"))
    func nvidiasWheelsLoadWithEveryEntryPointAndNVRTCCompilesTheKernels() throws {
        // Found by the wheel-layout search alone (VIRTUAL_ENV), every typed entry point resolved.
        let (_, cudnn, nvrtc) = try CUDALibraries.loadToolkit(environment: ["VIRTUAL_ENV": Self.devEnvironment])
        #expect(cudnn.cudnnGetVersion() >= 9_00_00, "cuDNN \(cudnn.cudnnGetVersion())")
        // NVIDIA's own compiler on Impasto's kernels, for the H200's architecture: an ELF cubin, no errors.
        let cubin = CUDAModule.compile(CUDAKernels.source, options: CUDAModule.options((9, 0)), nvrtc: nvrtc)
        #expect(cubin.count > 1000)
        #expect(Array(cubin.prefix(4)) == [0x7F, 0x45, 0x4C, 0x46])
    }

    @Test func algorithmResultsHaveCuDNNsLayout() {
        // cudnnConvolutionFwdAlgoPerf_t: int algo, int status, float time, size_t memory, int determinism,
        // int mathType, int reserved[3]: 48 bytes an element, memory at 16, mathType at 28.
        #expect(MemoryLayout<ConvolutionAlgorithmPerformance>.stride == 48)
        #expect(MemoryLayout<ConvolutionAlgorithmPerformance>.offset(of: \.memory) == 16)
        #expect(MemoryLayout<ConvolutionAlgorithmPerformance>.offset(of: \.mathType) == 28)
        #expect(MemoryLayout<ConvolutionAlgorithmPerformance>.offset(of: \.reserved) == 32)
    }

    @Test func devicesParse() {
        #expect(Device(parsing: "cpu") == .cpu)
        #expect(Device(parsing: "cuda") == .cuda(0))
        #expect(Device(parsing: "cuda:1") == .cuda(1))
        #expect(Device(parsing: "cuda:-1") == nil)
        #expect(Device(parsing: "gpu") == nil)
        #expect(Device.cuda(2).description == "cuda:2")
    }

    @Test func kernelSourcesParseAsCUDA() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("kernels.cu")
        try CUDAKernels.source.write(to: file, atomically: true, encoding: .utf8)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/check-cuda-kernels.sh")
        process.arguments = [file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(log)")
        // Every kernel the module looks up is defined in the source.
        for name in CUDAKernels.names {
            #expect(CUDAKernels.source.contains("__global__ void \(name)("), "\(name)")
        }
    }
}
