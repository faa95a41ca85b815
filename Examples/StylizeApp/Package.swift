// swift-tools-version:6.0
// An app that uses Impasto as any package would: through its git URL and a version. It proves that the
// libraries build as a dependency (SwiftPM refuses unsafe flags in packages depended on by version) and that
// the public API is enough to stylize a photo. scripts/build-example-app.sh points IMPASTO_PACKAGE_URL at a
// clone of this repository tagged 0.1.0, builds, and runs it.
import PackageDescription

guard let impasto = Context.environment["IMPASTO_PACKAGE_URL"] else {
    fatalError("Set IMPASTO_PACKAGE_URL to the URL of Impasto's git repository (scripts/build-example-app.sh does).")
}

let package = Package(
    name: "StylizeApp",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: impasto, from: "0.1.0")],
    targets: [
        .executableTarget(name: "StylizeApp", dependencies: [
            .product(name: "ImpastoStudio", package: "impasto"),
            .product(name: "ImpastoMedia", package: "impasto"),
        ]),
    ]
)
