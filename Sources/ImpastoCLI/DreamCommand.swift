import ArgumentParser
import Foundation
import ImpastoStudio

/// `impasto dream IMAGE [--layer L [--channel C] | --class N | --random-class] -o OUT`: DeepDream.
struct DreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dream",
        abstract: "DeepDream: amplify what a VGG-19 layer or a MobileNetV2 class sees in a photo, over octaves with jitter.",
        discussion: """
            --layer dreams on VGG-19 (the mean activation of the layer, or of one --channel); --class and \
            --random-class on MobileNetV2 (a new random class at every step). With --from zeros and an --l2 \
            penalty, --class draws Simonyan et al.'s class model visualisation. Ctrl-C writes the image so far.

            Examples:
              impasto dream photo.jpg --layer relu4_2 -o dream.jpg
              impasto dream photo.jpg --random-class --octaves 5 --steps 10 -o ostagram.jpg
              impasto dream photo.jpg --class 130 --from zeros --l2 1e-4 --steps 60 -o flamingo.png
            """)

    @Argument(help: "A JPEG or PNG photo (with --from zeros, it only sets the proportions).")
    var input: String

    @Option(name: .shortAndLong, help: "The output image (.png, .jpg or .jpeg).")
    var output: String

    @Option(help: "The VGG-19 layer to amplify (relu1_1 … relu5_4).")
    var layer: String?

    @Option(help: "One channel of --layer instead of all.")
    var channel: Int?

    @Option(name: .customLong("class"), help: "The ImageNet class to amplify, 0 to 999 (MobileNetV2).")
    var targetClass: Int?

    @Flag(help: "A random ImageNet class at every step (MobileNetV2).")
    var randomClass = false

    @Option(help: "photo or zeros: where the ascent starts.")
    var from = "photo"

    @Option(help: "Scales, coarse to fine.") var octaves = 4
    @Option(help: "The size ratio between octaves.") var octaveScale = 1.4
    @Option(help: "The largest random shift before each step, in pixels.") var jitter = 32
    @Option(help: "Ascent steps per octave.") var steps = 10
    @Option(help: "The mean change per step, on a 0…255 scale.") var stepSize: Float = 1.5
    @Option(help: "L2 penalty on the network input (class: λ Σ x², layer: λ mean x²).") var l2: Float = 0
    @Option(help: "The longest side of the result, in pixels.") var size = 512
    @Option(help: "Seed of the jitter and random classes.") var seed: UInt64 = 0
    @Option(help: "A weight file to use instead of the installed one.") var weights: String?

    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        let chosen = [layer != nil, targetClass != nil, randomClass].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("Give exactly one of --layer, --class or --random-class.") }
        if channel != nil && layer == nil { throw ValidationError("--channel needs --layer.") }
        guard DreamJob.Start(rawValue: from) != nil else { throw ValidationError("--from must be photo or zeros, not '\(from)'.") }
    }

    func run() throws {
        let objective: DreamJob.Objective = if let layer { .layer(layer, channel: channel) }
            else if let targetClass { .imageNetClass(targetClass) } else { .randomClass }
        var job = DreamJob(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output), objective: objective)
        job.start = DreamJob.Start(rawValue: from)!
        job.octaves = octaves
        job.octaveScale = octaveScale
        job.jitter = jitter
        job.steps = steps
        job.stepSize = stepSize / 255
        job.l2 = l2
        job.size = size
        job.seed = seed
        job.weights = weights
        let context = JobContext(progress: progress.mode)
        let interrupt = InterruptFlag(cancelling: context.control)
        defer { interrupt.uninstall() }
        if try job.run(context).stopped { throw ExitCode(130) }
    }
}
