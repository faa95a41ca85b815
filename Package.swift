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
        // The service (issue 14): SQLite through GRDB, HTTP through Hummingbird, bcrypt from hummingbird-auth.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        // Already under Hummingbird; named for the modules the server imports itself (NIOCore, NIOPosix, Logging).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Scale-out (issue 14): the queue and its workers on PostgreSQL.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // The service: storage, queue, workers and the HTTP API over Studio's jobs.
        .target(name: "ImpastoServer", dependencies: [
            "ImpastoTensor", "ImpastoFormats", "ImpastoMedia", "ImpastoStudio",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // The command line parses, calls Studio and reports: it never reaches networks or optimizers directly.
        .target(name: "ImpastoCLI", dependencies: [
            "ImpastoTensor", "ImpastoFormats", "ImpastoMedia", "ImpastoStudio", "ImpastoServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "impasto", dependencies: ["ImpastoCLI"]),
        .executableTarget(name: "impasto-bench", dependencies: [
            "ImpastoTensor", "ImpastoNN", "ImpastoOptimizers", "ImpastoModels", "ImpastoMedia", "ImpastoStudio",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Benchmarks/impasto-bench"),
        .target(name: "ImpastoTestSupport", dependencies: ["ImpastoTensor"], path: "Tests/ImpastoTestSupport"),
        .testTarget(name: "ImpastoTensorTests", dependencies: ["ImpastoTensor", "ImpastoTestSupport"]),
        .testTarget(name: "ImpastoNNTests", dependencies: ["ImpastoNN"]),
        .testTarget(name: "ImpastoOptimizersTests", dependencies: ["ImpastoOptimizers"]),
        .testTarget(name: "ImpastoFormatsTests", dependencies: ["ImpastoFormats", "ImpastoTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoMediaTests", dependencies: ["ImpastoMedia"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoCLITests", dependencies: ["ImpastoCLI", "ImpastoTestSupport"]),
        .testTarget(name: "ImpastoServerTests", dependencies: [
            "ImpastoServer", "ImpastoStudio", "ImpastoMedia", "ImpastoTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "ImpastoStudioTests", dependencies: ["ImpastoStudio", "ImpastoTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImpastoModelsTests", dependencies: ["ImpastoModels", "ImpastoFormats", "ImpastoMedia", "ImpastoTestSupport"],
                    resources: [.copy("Fixtures")]),
    ]
)
