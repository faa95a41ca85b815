import FuzzSupport
import ImpastoFormats

/// Legacy torch.save files: a pickle stream (magic number, protocol, system info, the object, storage keys)
/// then raw storages; the unpickler and the tensor rebuilder take everything that follows the first bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "weights.pt") { _ = try TorchCheckpoint.load(contentsOf: $0) }
}

@_cdecl("FuzzPickle_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzPickle)
}
