import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto classify IMAGE…|DIR [--top 5] [--json]`: ImageNet classes with MobileNetV2.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Name what is in photos: the ImageNet classes MobileNetV2 (torchvision's weights) sees.",
        discussion: """
            Folders stand for the JPEG and PNG files directly inside them. Images are prepared as torchvision \
            prepares them (shorter side 256, centre 224×224 crop). The weights install with \
            `impasto models fetch mobilenet_v2`.

            Examples:
              impasto classify photo.jpg
              impasto classify photos/ --top 3 --json
            """)

    @Argument(help: "Images (JPEG or PNG) or folders of them.")
    var inputs: [String]

    @Option(help: "How many classes to list per image.")
    var top = 5

    @Option(help: "A torchvision MobileNetV2 state dict to use instead of the installed one.")
    var weights: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try validateJob { try job().validate() }
    }

    /// The job these arguments describe.
    func job() -> ClassifyJob {
        var job = ClassifyJob(inputs: inputs.map { URL(fileURLWithPath: $0) })
        job.top = top
        job.weights = weights
        return job
    }

    func run() throws {
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        let results = try job().run(context)
        if progress.mode != .json {
            for result in results {
                print(result.input.path)
                for item in result.classes {
                    print(String(format: "  %6.2f %%  %@ (%d)", item.probability * 100, item.label, item.index))
                }
            }
        }
        if context.control.isCancelled { throw ExitCode(130) }
    }
}
