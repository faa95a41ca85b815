import FuzzSupport
import ImpastoFormats

/// TensorFlow Lite: a FlatBuffer of offsets (tables, vtables, vectors, strings) and the weights they point to.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTFLite(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "model.tflite") { url in
        _ = try TFLiteModel.load(contentsOf: url)
    }
}

@_cdecl("FuzzTFLite_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzTFLite)
}
