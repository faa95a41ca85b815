// swift-tools-version:6.0
// Impasto: neural image and video work on a Swift tensor engine over oneDNN.
import PackageDescription

let package = Package(
    name: "impasto",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "ImpastoTensor", targets: ["ImpastoTensor"]),
        .library(name: "ImpastoNN", targets: ["ImpastoNN"]),
        .library(name: "ImpastoOptimizers", targets: ["ImpastoOptimizers"]),
        .library(name: "ImpastoFormats", targets: ["ImpastoFormats"]),
        .library(name: "ImpastoMedia", targets: ["ImpastoMedia"]),
        .library(name: "ImpastoModels", targets: ["ImpastoModels"]),
        .library(name: "ImpastoStudio", targets: ["ImpastoStudio"]),
        .executable(name: "impasto", targets: ["impasto"]),
        .executable(name: "impasto-bench", targets: ["impasto-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),
        .target(name: "ImpastoTensor", dependencies: ["CDNNL"]),
        .target(name: "ImpastoNN", dependencies: ["ImpastoTensor"]),
        .target(name: "ImpastoOptimizers", dependencies: ["ImpastoTensor"]),
        .target(name: "ImpastoFormats", dependencies: ["ImpastoTensor", "CZlib"]),
        .target(name: "ImpastoMedia", dependencies: ["ImpastoTensor", "ImpastoFormats", "CImageCodecs"]),
        .target(name: "ImpastoModels", dependencies: ["ImpastoTensor", "ImpastoNN", "ImpastoFormats"]),
        .target(name: "ImpastoStudio", dependencies: [
            "ImpastoTensor", "ImpastoNN", "ImpastoOptimizers", "ImpastoFormats", "ImpastoMedia", "ImpastoModels",
        ], resources: [.copy("Styles")]),
        // The command line parses, calls Studio and reports: it never reaches networks or optimizers directly.
        .target(name: "ImpastoCLI", dependencies: [
            "ImpastoTensor", "ImpastoFormats", "ImpastoMedia", "ImpastoStudio",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "impasto", dependencies: ["ImpastoCLI"]),
        .executableTarget(name: "impasto-bench", dependencies: [
            "ImpastoTensor", "ImpastoNN", "ImpastoModels", "ImpastoMedia", "ImpastoStudio",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/impasto-bench"),
        .target(name: "ImpastoTestSupport", dependencies: ["ImpastoTensor"], path: "Tests/ImpastoTestSupport"),
        .testTarget(name: "ImpastoTensorTests", dependencies: ["ImpastoTensor"]),
        .testTarget(name: "ImpastoNNTests", dependencies: ["ImpastoNN"]),
        .testTarget(name: "ImpastoOptimizersTests", dependencies: ["ImpastoOptimizers"]),
        .testTarget(name: "ImpastoFormatsTests", dependencies: ["ImpastoFormats", "ImpastoTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoMediaTests", dependencies: ["ImpastoMedia"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoCLITests", dependencies: ["ImpastoCLI", "ImpastoTestSupport"]),
        .testTarget(name: "ImpastoStudioTests", dependencies: ["ImpastoStudio", "ImpastoTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoModelsTests", dependencies: ["ImpastoModels", "ImpastoFormats", "ImpastoMedia", "ImpastoTestSupport"],
                    resources: [.copy("Fixtures")]),
    ]
)
