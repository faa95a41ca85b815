// swift-tools-version:6.0
// libFuzzer targets for the parsers of untrusted bytes: the unpickler (legacy torch.save files), the ZIP
// reader (torch.save archives, wheels), safetensors, TensorFlow Lite's FlatBuffers, COCO annotations, NumPy's .npy/.npz, and the PNG/JPEG glue. A package of its own because a
// fuzz target has no `main` (libFuzzer brings it): build and run them with scripts/fuzz.sh.
import PackageDescription

let package = Package(
    name: "impasto-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "impasto", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzPickle", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzZip", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzSafeTensors", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzTFLite", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzNumPy", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzCOCO", dependencies: ["FuzzSupport", .product(name: "ImpastoFormats", package: "impasto")]),
        .executableTarget(name: "FuzzImage", dependencies: ["FuzzSupport", .product(name: "ImpastoMedia", package: "impasto")]),
    ]
)
