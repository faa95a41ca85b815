import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto flicker ORIGINAL STYLIZED`: how much a stylized video flickers, as Lai et al. 2018 measure it.
struct FlickerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flicker",
        abstract: "Measure the temporal flicker of a stylized video: the warping error of Lai et al. 2018.",
        discussion: """
            Optical flow of the original video carries each stylized frame onto the next; the warping error \
            is the mean squared difference where the flow is reliable (pixel values in [0, 1]), averaged over \
            consecutive pairs. Lower is steadier. Both videos must have the same size and frame count.
            """)

    @Argument(help: "The original video the stylized one was made from.")
    var original: String

    @Argument(help: "The stylized video.")
    var stylized: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() throws {
        let result = try FlickerJob(original: URL(fileURLWithPath: original), stylized: URL(fileURLWithPath: stylized)).run()
        print(report(result.warpingError, pairs: result.pairs))
    }

    func report(_ error: Double, pairs: Int) -> String {
        guard json else { return String(format: "warping error: %.6f", error) }
        let fields: [String: Any] = ["original": original, "stylized": stylized, "warping_error": error, "pairs": pairs]
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
