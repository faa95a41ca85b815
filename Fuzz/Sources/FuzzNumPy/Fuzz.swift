import FuzzSupport
import ImpastoFormats

/// NumPy: the bytes as an `.npz` archive (a ZIP of `.npy` arrays: Chainer's and waifu2x's weights) and as one
/// `.npy` array (the magic, a Python dict literal header, the elements).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "weights.npz") { url in
        _ = try? NumPyArrays.load(contentsOf: url)
        _ = try NumPyArrays.loadArchive(contentsOf: url)
    }
}

@_cdecl("FuzzNumPy_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzNumPy)
}
