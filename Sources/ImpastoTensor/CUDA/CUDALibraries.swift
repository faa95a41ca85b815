import Foundation

// NVIDIA's libraries are opened at run time with dlopen, never linked: the same `impasto` binary builds and runs
// on machines without CUDA, and `--device cuda` there fails with one sentence naming what is missing and where it
// was looked for.
//
// Search order, for each library (first hit wins):
//   1. the bare file name through the dynamic loader: LD_LIBRARY_PATH, the binary's rpath, ld.so.cache and the
//      system directories (where the driver, libcuda.so.1, always lives: it comes with the kernel module);
//   2. each directory of IMPASTO_CUDA_LIBRARY_PATH (colon-separated), for a CUDA toolkit outside the loader's path;
//   3. the `nvidia/*/lib` directories of Python environments, as PyTorch's wheels install cuBLAS, cuDNN and NVRTC
//      (`nvidia/cublas/lib` for CUDA 12, `nvidia/cu13/lib` for CUDA 13, `nvidia/cudnn/lib`): the site-packages of
//      VIRTUAL_ENV, CONDA_PREFIX, PYTHONPATH's entries, ~/.local and the system's Python prefixes;
//   4. /usr/local/cuda/lib64 and /usr/local/cuda/targets/x86_64-linux/lib, the toolkit's default install.

/// One of NVIDIA's shared libraries the CUDA backend opens, with the file names it is known by (newest first).
struct CUDALibrarySpec: Sendable {
    let role: String
    let fileNames: [String]

    static let driver = CUDALibrarySpec(role: "the CUDA driver", fileNames: ["libcuda.so.1", "libcuda.so"])
    /// Loaded before cuBLAS and cuDNN, globally, so that their own dependency on it resolves to this copy; the
    /// backend calls no entry point of its own.
    static let cublasLt = CUDALibrarySpec(role: "cuBLASLt",
                                          fileNames: ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"])
    static let cublas = CUDALibrarySpec(role: "cuBLAS", fileNames: ["libcublas.so.13", "libcublas.so.12", "libcublas.so"])
    static let cudnn = CUDALibrarySpec(role: "cuDNN 9", fileNames: ["libcudnn.so.9"])
    static let nvrtc = CUDALibrarySpec(role: "NVRTC", fileNames: ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"])
}

/// Why the CUDA backend cannot start, in one sentence.
public struct CUDAUnavailable: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// An opened shared library and the symbols looked up in it.
final class DynamicLibrary: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// The name or path that dlopen accepted.
    let path: String
    let spec: CUDALibrarySpec

    private init(handle: UnsafeMutableRawPointer, path: String, spec: CUDALibrarySpec) {
        (self.handle, self.path, self.spec) = (handle, path, spec)
    }

    /// Opens the first of `spec`'s file names found in the search order (see the top of this file).
    static func open(_ spec: CUDALibrarySpec, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> DynamicLibrary {
        let directories = CUDALibrarySearch.directories(environment: environment)
        var candidates = spec.fileNames
        for directory in directories {
            candidates += spec.fileNames.map { directory + "/" + $0 }
        }
        for candidate in candidates {
            // RTLD_GLOBAL: cuDNN's sub-libraries and cuBLAS look up cuBLASLt's symbols by name.
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_GLOBAL) {
                return DynamicLibrary(handle: handle, path: candidate, spec: spec)
            }
        }
        let places = ["LD_LIBRARY_PATH and the system library path"]
            + (directories.isEmpty ? [] : [directories.joined(separator: ", ")])
        throw CUDAUnavailable(description: "\(spec.role) (\(spec.fileNames.joined(separator: " or "))) was not found: "
            + "looked in \(places.joined(separator: ", then ")); set IMPASTO_CUDA_LIBRARY_PATH to the directory "
            + "that holds it")
    }

    /// The address of `name`, as the C function type `T`.
    func function<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let symbol = dlsym(handle, name) else {
            throw CUDAUnavailable(description: "\(spec.role) at \(path) has no function \(name) "
                + "(an older version than Impasto needs?)")
        }
        return unsafeBitCast(symbol, to: T.self)
    }
}

/// The directories searched after the dynamic loader's own path, in order.
enum CUDALibrarySearch {
    static func directories(environment: [String: String]) -> [String] {
        var result: [String] = []
        func add(_ directory: String) {
            if !directory.isEmpty && !result.contains(directory) { result.append(directory) }
        }
        for directory in (environment["IMPASTO_CUDA_LIBRARY_PATH"] ?? "").split(separator: ":") {
            add(String(directory))
        }
        for sitePackages in pythonSitePackages(environment: environment) {
            for library in nvidiaLibraryDirectories(in: sitePackages) { add(library) }
        }
        for directory in ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
            where FileManager.default.fileExists(atPath: directory) {
            add(directory)
        }
        return result
    }

    /// `site-packages/nvidia/*/lib`, sorted (a wheel per library: cublas, cudnn, cuda_nvrtc, or cu13 for all).
    static func nvidiaLibraryDirectories(in sitePackages: String) -> [String] {
        let nvidia = sitePackages + "/nvidia"
        guard let packages = try? FileManager.default.contentsOfDirectory(atPath: nvidia) else { return [] }
        return packages.sorted().map { nvidia + "/" + $0 + "/lib" }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The site-packages (or dist-packages) directories of the Python environments a GPU machine may have.
    static func pythonSitePackages(environment: [String: String]) -> [String] {
        var prefixes: [String] = []
        for name in ["VIRTUAL_ENV", "CONDA_PREFIX"] { if let prefix = environment[name] { prefixes.append(prefix) } }
        if let home = environment["HOME"] { prefixes.append(home + "/.local") }
        prefixes += ["/usr/local", "/usr", "/opt/conda"]
        var result = (environment["PYTHONPATH"] ?? "").split(separator: ":").map(String.init)
        for prefix in prefixes {
            let lib = prefix + "/lib"
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: lib) else { continue }
            for entry in entries.sorted() where entry.hasPrefix("python3") {
                result += [lib + "/" + entry + "/site-packages", lib + "/" + entry + "/dist-packages"]
            }
        }
        return result.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
