// `--device` on stylize, apply, video and train, as users meet it on a machine without NVIDIA's libraries: one
// sentence saying what is missing and where it was looked for, exit status 1, nothing written.
import Foundation
import ImpastoTestSupport
import Testing

/// Whether the dynamic loader finds the CUDA driver here (these tests are about its absence).
private let driverIsInstalled = dlopen("libcuda.so.1", RTLD_NOW) != nil

@Suite struct DeviceOptionTests {
    @Test(.enabled(if: !driverIsInstalled, "the CUDA driver is installed here"))
    func cudaWithoutItsLibrariesFailsInOneSentence() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-device-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = repositoryRoot.appendingPathComponent("Examples/images")
        let photo = images.appendingPathComponent("tubingen.jpg").path
        let style = images.appendingPathComponent("starry_night.jpg").path
        let model = repositoryRoot.appendingPathComponent("Tests/ImpastoModelsTests/Fixtures/transformer-net-random.pth").path
        let output = folder.appendingPathComponent("out.png").path, video = folder.appendingPathComponent("out.mp4").path
        let clip = folder.appendingPathComponent("clip.mp4").path
        // An existing file is enough: the device is checked before the video is opened.
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: clip))
        let empty = folder.appendingPathComponent("no-cuda-here").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let commands: [[String]] = [
            ["stylize", "--content", photo, "--style", style, "-o", output, "--iterations", "1", "--device", "cuda"],
            ["apply", photo, "--model", model, "-o", output, "--device", "cuda"],
            ["video", clip, "--model", model, "-o", video, "--device", "cuda:0"],
            ["train", "--style", style, "--photos", images.path, "-o", folder.appendingPathComponent("m.safetensors").path,
             "--iterations", "1", "--device", "cuda"],
        ]
        for arguments in commands {
            let result = try runImpasto(arguments, environment: ["IMPASTO_CUDA_LIBRARY_PATH": empty])
            #expect(result.status == 1, "\(arguments[0]): \(result.error)")
            let lines = result.error.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments[0]): \(result.error)")
            #expect(result.error.hasPrefix("error: the CUDA driver (libcuda.so.1 or libcuda.so) was not found: looked "
                + "in LD_LIBRARY_PATH and the system library path, then \(empty)"), "\(arguments[0]): \(result.error)")
            #expect(result.error.contains("set IMPASTO_CUDA_LIBRARY_PATH"))
            #expect(result.output.isEmpty, "\(arguments[0])")
            #expect(!FileManager.default.fileExists(atPath: output) && !FileManager.default.fileExists(atPath: video))
        }
    }

    @Test func anUnknownDeviceIsAUsageError() throws {
        let result = try runImpasto(["apply", "a.jpg", "--model", "m.pth", "-o", "b.png", "--device", "gpu"])
        #expect(result.status == 64)
        #expect(result.error.hasPrefix("error: The value 'gpu' is invalid for '--device <device>'"), "\(result.error)")
    }
}
