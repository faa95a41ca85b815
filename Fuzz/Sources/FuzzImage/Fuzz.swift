import FuzzSupport
import ImpastoMedia

/// PNG and JPEG through Impasto's decoder glue (limits, EXIF orientation, 8/16-bit, gray/alpha, progressive scans).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // 4 megapixels: paths through the decoders, not time spent filling large images (fine at 100 MP in
    // release, twenty times slower under AddressSanitizer).
    fuzz(data, size, name: "picture") { url in try Image.$maximumPixelCount.withValue(4_000_000) { _ = try Image(contentsOf: url) } }
}

@_cdecl("FuzzImage_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzImage)
}
