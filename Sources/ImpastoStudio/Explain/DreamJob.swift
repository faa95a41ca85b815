import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoTensor

/// One `impasto dream` run: DeepDream (Mordvintsev, Olah and Tyka 2015, the Caffe notebook's recipe) — gradient
/// ascent on a layer's activation or a class score, from the photo, over octaves (coarse to fine, each finer one
/// adding the detail dreamed so far), with a random shift (jitter) before every step and steps normalised by the
/// gradient's mean magnitude. From a flat image with an L2 penalty, the same ascent on a class is Simonyan et
/// al.'s class model visualisation. Works in pixel space ([0, 1] RGB) whichever network, so the step size and
/// jitter mean the same on VGG-19 and MobileNetV2.
public struct DreamJob: Sendable {
    /// What the ascent increases.
    public enum Objective: Sendable, Equatable {
        /// The mean activation of a VGG-19 layer, or of one of its channels.
        case layer(String, channel: Int?)
        /// One ImageNet class's logit (MobileNetV2).
        case imageNetClass(Int)
        /// A class drawn at random for every step (the seed's Ostagram dreams).
        case randomClass
    }

    /// Where the ascent starts.
    public enum Start: String, Sendable {
        /// The photo.
        case photo
        /// The network's zero input (the mean colour), at the photo's size.
        case zeros
    }

    public var input: URL
    public var output: URL
    public var objective: Objective
    public var start: Start = .photo
    public var octaves = 4
    public var octaveScale = 1.4
    /// The largest random shift, in pixels of the finest octave.
    public var jitter = 32
    /// Ascent steps per octave (the notebook's `iter_n`).
    public var steps = 10
    /// Each step moves pixels by this much on average (the Caffe notebook's 1.5 on a 0…255 scale).
    public var stepSize: Float = 1.5 / 255
    /// The L2 penalty λ on the network input x (class visualisation): the class objective is Simonyan et al.'s
    /// `S_c − λ Σ x²`; the layer objective, a mean, takes `λ · mean(x²)`.
    public var l2: Float = 0
    /// The longest side of the result.
    public var size = 512
    public var seed: UInt64 = 0
    public var weights: String?
    public var quality = 95

    public init(input: URL, output: URL, objective: Objective) {
        self.input = input
        self.output = output
        self.objective = objective
    }

    /// Checks the options before any work.
    public func validate() throws {
        _ = try ImageInputs.format(of: output, quality: quality)
        try Overwriting.refuse(outputs: [output], inputs: [input] + (weights.map { [URL(fileURLWithPath: $0)] } ?? []))
        guard octaves >= 1, octaveScale > 1, steps >= 1, jitter >= 0, stepSize > 0, l2 >= 0, (32...4096).contains(size) else {
            throw ImpastoError.invalidArgument("--octaves and --steps must be at least 1, --octave-scale above 1, --jitter, --step-size and --l2 not negative, --size 32…4096.")
        }
        switch objective {
        case .layer(let layer, let channel):
            _ = try VGG19.checkedChannels(of: layer, channel: channel)
        case .imageNetClass(let index):
            guard (0..<1000).contains(index) else {
                throw ImpastoError.invalidArgument("--class must be an ImageNet class from 0 to 999, not \(index).")
            }
        case .randomClass: break
        }
    }

    /// Dreams, with one progress step per ascent step; a stop ends after the current step with the image so far
    /// written.
    public func run(_ context: JobContext = JobContext()) throws -> (steps: Int, stopped: Bool) {
        try validate()
        let photo = try Image(contentsOf: input).rgb()
        let (width, height) = photo.size(longestSide: min(size, max(photo.width, photo.height)))
        let score = try objectiveFunction(context)
        let reporter = context.reporter(title: "dream", unit: .steps(name: "step", rateSymbol: "steps/s"),
                                        total: Int64(octaves * steps))
        var generator = RandomGenerator(seed: seed)
        var done = 0, stopped = false
        var image = Tensor(zeros: [1, 3, 1, 1])
        octaveLoop: for octave in 0..<octaves {
            let factor = pow(octaveScale, Double(octaves - 1 - octave))
            let size = (max(8, Int((Double(height) / factor).rounded())), max(8, Int((Double(width) / factor).rounded())))
            let base = self.base(photo, size: size)
            // The detail dreamed at the coarser octave, carried up to this one.
            image = octave == 0 ? base : withoutGradients {
                let detail = image - self.base(photo, size: (image.shape[2], image.shape[3]))
                return (base + upsampleBilinear2d(detail, size: size)).clamped(to: 0...1)
            }
            let jitter = max(0, Int((Double(self.jitter) / factor).rounded()))
            for _ in 0..<steps {
                if context.control.isCancelled { stopped = true; break octaveLoop }
                image = ascend(image, score: score(&generator), jitter: jitter, generator: &generator)
                done += 1
                reporter.update(completed: Int64(done), detail: "octave \(octave + 1)/\(octaves) \(size.1)×\(size.0)",
                                json: [("octave", .int(Int64(octave + 1)))])
            }
        }
        try Image(tensor: image).write(to: output, format: ImageInputs.format(of: output, quality: quality))
        reporter.finish(summary: (stopped ? "Stopped after \(done) steps; wrote " : "Wrote ") + output.path,
                        json: [("event", .string(stopped ? "stopped" : "done")), ("output", .string(output.path))])
        return (done, stopped)
    }

    /// The starting image at `size` (height, width) as `[1, 3, h, w]` pixels.
    private func base(_ photo: Image, size: (Int, Int)) -> Tensor {
        switch start {
        case .photo: photo.resized(width: size.1, height: size.0).tensor()
        case .zeros:
            Tensor(shape: [1, 3, size.0, size.1],
                   scalars: [Float(0.485), 0.456, 0.406].flatMap { [Float](repeating: $0, count: size.0 * size.1) })
        }
    }

    /// One normalised ascent step on the image shifted by a random offset up to `jitter` pixels.
    private func ascend(_ image: Tensor, score: (Tensor) -> Tensor, jitter: Int,
                        generator: inout RandomGenerator) -> Tensor {
        let dy = jitter == 0 ? 0 : Int.random(in: -jitter...jitter, using: &generator)
        let dx = jitter == 0 ? 0 : Int.random(in: -jitter...jitter, using: &generator)
        let shifted = roll(image, shifts: [dy, dx], axes: [2, 3])
        let gradient = roll(Attribution.gradient(of: score, at: shifted), shifts: [-dy, -dx], axes: [2, 3])
        return withoutGradients {
            let scale = gradient.abs().mean().scalar
            return (image + gradient * (stepSize / (scale + 1e-8))).clamped(to: 0...1)
        }
    }

    /// For each step, the score of `[1, 3, h, w]` pixels it ascends.
    private func objectiveFunction(_ context: JobContext) throws -> (inout RandomGenerator) -> (Tensor) -> Tensor {
        let l2 = self.l2
        switch objective {
        case .layer(let layer, let channel):
            let (vgg, preprocessing) = try ModelCache.shared.installedVGG19(weights: weights)
            return { _ in
                { pixels in
                    let input = preprocessing.networkInput(fromPixels: pixels)
                    var activation = vgg(input, layers: [layer])[layer]!
                    if let channel { activation = activation.sliced(axis: 1, channel..<channel + 1) }
                    return activation.mean() - (input * input).mean() * l2
                }
            }
        case .imageNetClass, .randomClass:
            let model = try ModelCache.shared.installedClassifier(weights: weights).model
            let fixed: Int? = if case .imageNetClass(let index) = objective { index } else { nil }
            if let fixed { context.note("dreaming of class \(fixed) (\(ImageNet.classNames[fixed]))") }
            return { generator in
                let target = fixed ?? Int.random(in: 0..<1000, using: &generator)
                return { pixels in
                    let input = VGGPreprocessing.torchvision.networkInput(fromPixels: pixels)
                    return model(input).sliced(axis: 1, target..<target + 1).sum() - (input * input).sum() * l2
                }
            }
        }
    }
}
