import ArgumentParser
import Foundation
import ImpastoTestSupport
import ImpastoFormats
import ImpastoMedia
import ImpastoModels
import ImpastoTensor
import Testing
import ImpastoStudio
@testable import ImpastoCLI

private let transformerFixture = repositoryRoot
    .appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path
private let tubingen = repositoryRoot.appendingPathComponent("Examples/images/tubingen.jpg").path
private let astronaut = repositoryRoot.appendingPathComponent("Examples/images/astronaut.png").path

/// Runs `impasto apply` in-process and returns the user-facing error it ends with, if any.
private func apply(_ arguments: [String]) throws -> ImpastoError? {
    let command = try ApplyCommand.parse(arguments + ["--quiet"])
    do {
        try command.run()
        return nil
    } catch let error as ImpastoError {
        return error
    }
}

/// A fresh empty folder.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-apply-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func appliesAModelToAnImageAndAFolder() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let single = folder.appendingPathComponent("single.png")
    #expect(try apply([tubingen, "--model", transformerFixture, "-o", single.path, "--size", "37"]) == nil)
    let image = try Image(contentsOf: single)
    #expect((image.width, image.height) == (37, 27))

    // A folder expands to its images; results keep each input's format, named after the model.
    let inputs = folder.appendingPathComponent("inputs")
    try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
    for path in [tubingen, astronaut] {
        try FileManager.default.copyItem(atPath: path, toPath: inputs.appendingPathComponent(
            URL(fileURLWithPath: path).lastPathComponent).path)
    }
    try Data("not an image".utf8).write(to: inputs.appendingPathComponent("notes.txt"))
    let out = folder.appendingPathComponent("out")
    #expect(try apply([inputs.path, "--model", transformerFixture, "--output-dir", out.path, "--size", "24",
                       "--precision", "bf16", "--preserve-colors", "--batch-size", "2"]) == nil)
    let written = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(written == ["astronaut-transformer-net-random.png", "tubingen-transformer-net-random.jpg"])
}

@Test func adainMixesStylesFromReleasedLayoutFiles() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Random weights in the key layouts of vgg_normalised.pth and decoder.pth.
    let net = AdaIN()
    let vgg = folder.appendingPathComponent("vgg_normalised.safetensors")
    let decoder = folder.appendingPathComponent("decoder.safetensors")
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.encoder.stateDict().map { ($0.name, $0.tensor) }), to: vgg)
    try SafeTensors.write(Dictionary(uniqueKeysWithValues: net.decoder.stateDict().map { ($0.name, $0.tensor) }), to: decoder)
    let output = folder.appendingPathComponent("mixed.jpg")
    #expect(try apply([tubingen, "--style", astronaut, "--style", tubingen, "--weights", "1,3", "--alpha", "0.8",
                       "--vgg", vgg.path, "--decoder", decoder.path, "--size", "40", "--style-size", "32",
                       "-o", output.path]) == nil)
    let image = try Image(contentsOf: output)
    #expect((image.width, image.height) == (40, 30))

    // The two files swapped: the decoder's first tensor is not in the encoder's file.
    let error = try apply([tubingen, "--style", astronaut, "--vgg", decoder.path, "--decoder", vgg.path,
                           "--size", "40", "-o", output.path])
    #expect(error == .missingKey(key: "0.weight", source: decoder.path))
}

@Test func inputsAreNeverOverwritten() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let copy = folder.appendingPathComponent("photo.jpg")
    try FileManager.default.copyItem(atPath: tubingen, toPath: copy.path)
    let before = try Data(contentsOf: copy)
    // The same file spelled another way is still the input.
    let error = try apply([copy.path, "--model", transformerFixture, "-o", folder.path + "/./photo.jpg"])
    #expect(error?.description == "Refusing to overwrite the input \(folder.path)/./photo.jpg; choose another output.")
    #expect(try Data(contentsOf: copy) == before)
    // Nor in a folder of results written beside their inputs: a.jpg's result would be the second input.
    let previous = folder.appendingPathComponent("photo-transformer-net-random.jpg")
    try FileManager.default.copyItem(atPath: tubingen, toPath: previous.path)
    let folderError = try apply([folder.path, "--model", transformerFixture, "--output-dir", folder.path])
    #expect(folderError?.description.hasPrefix("Refusing to overwrite the input \(previous.path)") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 2)
}

@Test func wrongArchitectureAndUnwritableOutputAreOneSentence() throws {
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    // MTCNN's P-Net is a network of another kind: the first tensor TransformerNet needs is missing.
    let pnet = try facenetFile("pnet.pt").path
    let error = try #require(try apply([tubingen, "--model", pnet, "-o", folder.appendingPathComponent("a.png").path]))
    #expect(error == .missingKey(key: "conv1.conv2d.weight", source: pnet))
    #expect(!error.description.contains("\n") && error.description.hasSuffix("."))

    let unwritable = folder.appendingPathComponent("missing/a.png")
    let writeError = try #require(try apply([tubingen, "--model", transformerFixture, "-o", unwritable.path]))
    #expect(writeError == .writeFailed(path: unwritable.deletingLastPathComponent().path,
                                      reason: "the folder does not exist or is not writable"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)

    let many = try #require(try apply([tubingen, astronaut, "--model", transformerFixture, "-o",
                                       folder.appendingPathComponent("a.png").path]))
    #expect(many.description.contains("use --output-dir"))
}

@Test func contradictoryOptionsAreRefusedBeforeWork() {
    let cases: [([String], String)] = [
        ([tubingen, "-o", "a.png"], "Give either --model"),
        ([tubingen, "--model", "m.pth", "--style", "s.jpg", "-o", "a.png"], "Give either --model"),
        ([tubingen, "--model", "m.pth"], "Give either -o/--output"),
        ([tubingen, "--model", "m.pth", "-o", "a.png", "--alpha", "0.5"], "--alpha applies to AdaIN"),
        ([tubingen, "--style", "s.jpg", "-o", "a.png"], "AdaIN needs --vgg"),
        ([tubingen, "--style", "s.jpg", "--style", "t.jpg", "--weights", "1", "--vgg", "v", "--decoder", "d",
          "-o", "a.png"], "--weights needs 2"),
        ([tubingen, "--model", "m.pth", "-o", "a.gif"], "must end in .png, .jpg or .jpeg"),
        ([tubingen, "--model", "m.pth", "-o", "a.png", "--precision", "fp16"], "fp32 or bf16"),
    ]
    for (arguments, message) in cases {
        do {
            _ = try ApplyCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let text = ApplyCommand.message(for: error)
            #expect(text.contains(message), "\(arguments): \(text)")
        }
    }
}

/// The bundled styles work by name from the built binary, on a photo their training never saw; bf16 and
/// --preserve-colors are checked on their values, which a random model's black output cannot show.
@Test(arguments: ["starry", "scream"])
func bundledStylesApplyByNameAndTheirOptionsChangeWhatTheyShould(style: String) throws {
    #expect(BundledStyles.names.contains(style))
    let folder = try temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    func run(_ name: String, _ extra: [String] = []) throws -> Image {
        let output = folder.appendingPathComponent(name)
        let result = try runImpasto(["apply", astronaut, "--model", style, "--size", "96", "-o", output.path, "--quiet"] + extra)
        #expect(result.status == 0 && result.error.isEmpty, "\(result.error)")
        return try Image(contentsOf: output)
    }
    let photo = try Image(contentsOf: URL(fileURLWithPath: astronaut)).resized(longestSide: 96)
    let full = try run("fp32.png"), half = try run("bf16.png", ["--precision", "bf16"])
    let kept = try run("colors.png", ["--preserve-colors"])
    func meanAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count) }
    // A trained style moves the photo far; bf16 arithmetic moves the stylization a little.
    #expect(meanAbsoluteDifference(full.pixels, photo.pixels) > 0.1)
    let precisionGap = meanAbsoluteDifference(half.pixels, full.pixels)
    #expect(precisionGap > 0 && precisionGap < 0.02, "bf16 against fp32: \(precisionGap)")
    // --preserve-colors: the photo's chroma (Cb, Cr), the stylization's luminance.
    func ycbcr(_ image: Image) -> (y: [Float], cb: [Float], cr: [Float]) {
        let n = image.width * image.height, p = image.pixels
        let y = (0..<n).map { 0.299 * p[$0] + 0.587 * p[n + $0] + 0.114 * p[2 * n + $0] }
        return (y, (0..<n).map { (p[2 * n + $0] - y[$0]) * 0.564 }, (0..<n).map { (p[$0] - y[$0]) * 0.713 })
    }
    let (keptY, keptCb, keptCr) = ycbcr(kept), (photoY, photoCb, photoCr) = ycbcr(photo), (fullY, _, _) = ycbcr(full)
    #expect(meanAbsoluteDifference(keptCb, photoCb) < 0.02 && meanAbsoluteDifference(keptCr, photoCr) < 0.02)
    #expect(meanAbsoluteDifference(keptY, fullY) < 0.02 && meanAbsoluteDifference(keptY, photoY) > 0.05)
}

@Test func anUnknownStyleNameIsOneSentence() throws {
    let result = try runImpasto(["apply", tubingen, "--model", "sunflowers", "-o", "/tmp/never-written.png"])
    #expect(result.status == 1)
    #expect(result.error == "error: Cannot read sunflowers: no such file, and no bundled style has that name "
        + "(bundled: \(BundledStyles.names.joined(separator: ", "))).\n")
}
