import FuzzSupport
import ImpastoFormats

/// safetensors: an 8-byte header length, a JSON header (dtypes, shapes, offsets, metadata), the data.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "model.safetensors") { url in
        _ = try? SafeTensors.metadata(contentsOf: url)
        _ = try SafeTensors.load(contentsOf: url)
    }
}

@_cdecl("FuzzSafeTensors_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzSafeTensors)
}
