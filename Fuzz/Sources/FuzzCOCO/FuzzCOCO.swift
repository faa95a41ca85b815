import FuzzSupport
import ImpastoFormats

/// COCO annotations: the bytes as an instances JSON file (images, categories, and masks as polygons, runs or
/// compressed runs, each rasterized or decoded as training reads them).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCOCO(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzz(data, size, name: "instances.json") { url in
        let dataset = try COCODataset(contentsOf: url)
        for (_, mask) in dataset.personImages() { _ = mask.decoded() }
    }
}

@_cdecl("FuzzCOCO_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzCOCO)
}
