import FuzzSupport
import ImpastoMedia

/// PNG and JPEG through Impasto's decoder glue (limits, EXIF orientation, 8/16-bit, gray/alpha, progressive scans).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "picture") { _ = try Image(contentsOf: $0) }
}

@_cdecl("FuzzImage_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzImage)
}
