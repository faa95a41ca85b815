import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoModels
import ImpastoNN
import ImpastoOptimizers
import ImpastoStudio
import ImpastoTensor

/// Side-by-side benchmarks: Impasto's time, PyTorch's time on the same machine in the same run, and the ratio.
/// PyTorch runs through `bench/torch_reference.py` in the dev virtual environment (`scripts/dev-python.sh`).
@main
struct ImpastoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "impasto-bench",
        abstract: "Times Impasto's engine beside PyTorch on the same workloads.",
        subcommands: [VGG19Benchmark.self, ConvBenchmark.self, MemoryBenchmark.self, TransformerBenchmark.self,
                      StylizeBenchmark.self, ClassifyBenchmark.self, MTCNNBenchmark.self, BlazeFaceBenchmark.self,
                      CutoutBenchmark.self, CascadeBenchmark.self, UpscaleBenchmark.self, SegmenterBenchmark.self,
                      StylizeDevicesCheck.self])
}

struct ReferenceOptions: ParsableArguments {
    @Flag(help: "Skip the PyTorch side.")
    var noReference = false

    @Option(help: "Command that runs a Python with torch and torchvision.")
    var python = "scripts/dev-python.sh"

    /// Runs the PyTorch side and returns its `label: median X unit` lines keyed by label (without the
    /// leading "pytorch"), in seconds.
    /// `script` and `python` name another reference (waifu2x's Chainer code runs in a venv of its own).
    func run(_ arguments: [String], script: String = "bench/torch_reference.py", python: String? = nil) -> [String: Double] {
        guard !noReference else { return [:] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", ([python ?? self.python, script] + arguments).joined(separator: " ")]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            print("# PyTorch reference could not start: \(error)")
            return [:]
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var medians: [String: Double] = [:]
        for line in output.split(separator: "\n") {
            print(line)
            guard line.hasPrefix("pytorch "), let range = line.range(of: ": median ") else { continue }
            let label = String(line[line.index(line.startIndex, offsetBy: 8)..<range.lowerBound])
            let parts = line[range.upperBound...].split(separator: " ")
            guard parts.count == 2, let value = Double(parts[0]) else { continue }
            medians[label] = parts[1] == "ms" ? value / 1000 : value
        }
        return medians
    }
}

/// `--device`: where Impasto's side runs (the PyTorch side is given the same device).
struct DeviceChoice: ParsableArguments {
    @Option(help: "cpu, or cuda for an NVIDIA GPU.", transform: { text in
        guard let device = Device(parsing: text) else { throw ValidationError("--device must be cpu or cuda, not '\(text)'.") }
        return device
    })
    var device: Device = .cpu

    /// `--device cuda` for the PyTorch side when Impasto's runs on a GPU.
    var referenceArguments: [String] { device == .cpu ? [] : ["--device", "cuda"] }

    /// Runs `body` with the device current, every timed run ending when the device's queued work has.
    func run<R>(_ body: () throws -> R) throws -> R {
        try device.prepare()
        if device != .cpu { print("# impasto on \(device.hardwareDescription)") }
        return try Device.$current.withValue(device) { try body() }
    }
}

/// Median wall time of `body` over `runs` runs after one warm-up run.
func medianSeconds(runs: Int, _ body: () -> Void) -> Double {
    body()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return times.sorted()[times.count / 2]
}

/// Wall time of `body`.
func seconds(_ body: () -> Void) -> Double {
    let start = ContinuousClock.now
    body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Median over `runs` runs (after one warm-up) of the time each run of `body` reports for its timed part.
func medianOfTimed(runs: Int, _ body: () -> Double) -> Double {
    _ = body()
    let times = (0..<runs).map { _ in body() }.sorted()
    return times[times.count / 2]
}

func ratioLine(_ label: String, _ ours: Double, _ theirs: Double?, against: String = "") {
    guard let theirs else { return }
    print(String(format: "ratio %@: impasto/pytorch%@ %.2f×", label, against, ours / theirs))
}

/// The ratio lines of a workload run in both precisions: fp32 and bf16 against PyTorch's own, and bf16
/// against PyTorch's fp32 (what a user switching from PyTorch gains).
func precisionRatioLines(_ label: String, _ ours: [Precision: Double], _ theirs: [String: Double]) {
    ratioLine("\(label) fp32", ours[.fp32]!, theirs["\(label) fp32"])
    ratioLine("\(label) bf16", ours[.bf16]!, theirs["\(label) bf16"])
    ratioLine("\(label) bf16", ours[.bf16]!, theirs["\(label) fp32"], against: " fp32")
}

/// One of the bundled example images (Examples/images), which PyTorch's side reads too.
/// From the checkout this was built in, or else from the working directory's Examples/images (a portable bundle
/// run on another machine, scripts/gpu-check.sh).
func exampleImage(_ name: String) throws -> Image {
    let built = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples/images/\(name)").standardized
    let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Examples/images/\(name)")
    return try Image(contentsOf: FileManager.default.fileExists(atPath: built.path) ? built : here)
}

/// Where scripts/fetch-test-weights.sh puts a real weight file (the default cache folder).
func testWeightsPath(_ relativePath: String) -> String {
    FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/impasto/test-weights/\(relativePath)").path
}

/// A VGG-19 stack with random weights, frozen, and a random image: the Gatys workload.
func vggWorkload(size: Int, precision: Precision) -> () -> Void {
    let vgg = Initialization.withSeed(0) { VGG19() }
    vgg.requireGradients(false)
    var generator = RandomGenerator(seed: 1)
    let image = Tensor.randomUniform([1, 3, size, size], generator: &generator)
    return {
        Precision.$current.withValue(precision) {
            let x = image.requiringGradient()
            let features = vgg(x, layers: ["relu5_1"])
            let gradient = features["relu5_1"]!.sum().backward()[x]!
            precondition(gradient.shape == x.shape)
            gradient.device.synchronize()
        }
    }
}

struct VGG19Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vgg19", abstract: "VGG-19 conv1_1…relu5_1, forward + gradient w.r.t. the input only.")

    @Option(help: "Image side in pixels.") var size = 512
    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @OptionGroup var reference: ReferenceOptions
    @OptionGroup var compute: DeviceChoice

    func run() throws {
        var ours: [Precision: Double] = [:]
        for precision in Precision.allCases {
            let seconds = try compute.run { medianSeconds(runs: runs, vggWorkload(size: size, precision: precision)) }
            ours[precision] = seconds
            print(String(format: "impasto vgg19 %dpx fwd+input-grad %@: median %.3f s", size, precision.rawValue, seconds))
            fflush(nil)
        }
        let theirs = reference.run(["vgg19", "--size", "\(size)", "--runs", "\(runs)"] + compute.referenceArguments)
        let label = "vgg19 \(size)px fwd+input-grad"
        precisionRatioLines(label, ours, theirs)
    }
}

struct ConvBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv", abstract: "One 256→256 3×3 convolution on 1×256×128×128: fwd, bwd-data, bwd-weights.")

    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @OptionGroup var reference: ReferenceOptions

    func run() {
        var generator = RandomGenerator(seed: 0)
        let x = Tensor.randomUniform([1, 256, 128, 128], generator: &generator)
        let weight = Tensor.randomNormal([256, 256, 3, 3], standardDeviation: 0.02, generator: &generator)
        let bias = Tensor(zeros: [256])
        let seed = Tensor.randomUniform([1, 256, 128, 128], generator: &generator)
        var ours: [String: Double] = [:]
        ours["fwd"] = medianSeconds(runs: runs) {
            _ = withoutGradients { conv2d(x, weight: weight, bias: bias, padding: (1, 1)) }
        }
        // Backward passes alone: the forward pass that records the graph is not timed.
        ours["bwd-data"] = medianOfTimed(runs: runs) {
            let input = x.requiringGradient()
            let output = conv2d(input, weight: weight, bias: bias, padding: (1, 1))
            return seconds { _ = output.backward(seed: seed) }
        }
        ours["bwd-weights"] = medianOfTimed(runs: runs) {
            let w = weight.requiringGradient()
            let output = conv2d(x, weight: w, bias: bias, padding: (1, 1))
            return seconds { _ = output.backward(seed: seed) }
        }
        for kind in ["fwd", "bwd-data", "bwd-weights"] {
            print(String(format: "impasto conv 256x128x128 %@ fp32: median %.1f ms", kind, ours[kind]! * 1000))
        }
        fflush(nil)
        let theirs = reference.run(["conv", "--runs", "\(runs)"])
        for kind in ["fwd", "bwd-data", "bwd-weights"] {
            ratioLine("conv 256x128x128 \(kind) fp32", ours[kind]!, theirs["conv 256x128x128 \(kind) fp32"])
        }
    }
}

struct MemoryBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Peak RSS over many VGG-19 forward+backward iterations (should stay flat).")

    @Option(help: "Image side in pixels.") var size = 512
    @Option(help: "Iterations.") var iterations = 100
    @Option(help: "fp32 or bf16.") var precision: Precision = .fp32

    func run() {
        let step = vggWorkload(size: size, precision: precision)
        var samples: [(Int, Int, Int)] = []
        for iteration in 1...iterations {
            step()
            if iteration == 1 || iteration % 10 == 0 {
                let (rss, peak) = residentMemory()
                samples.append((iteration, rss, peak))
                print("iteration \(iteration): rss \(rss / 1024) MiB, peak \(peak / 1024) MiB")
                fflush(nil)
            }
        }
        let growth = samples.last!.2 - samples[min(1, samples.count - 1)].2
        print("impasto vgg19 \(size)px \(precision.rawValue) \(iterations) iterations: peak RSS \(samples.last!.2 / 1024) MiB, growth after iteration 10: \(growth / 1024) MiB")
    }

    /// (VmRSS, VmHWM) in KiB from /proc/self/status.
    func residentMemory() -> (Int, Int) {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func value(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return Int(line.split(separator: " ").dropFirst().first.map(String.init) ?? "") ?? 0
        }
        return (value("VmRSS:"), value("VmHWM:"))
    }
}

extension Precision: ExpressibleByArgument {}

/// TransformerNet inference on one 720p frame: the per-frame cost of `impasto apply` and video stylization.
struct TransformerBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer", abstract: "TransformerNet (Johnson et al.) on one frame (1280×720 unless --frame), inference only.")

    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @Option(help: "The frame, WIDTHxHEIGHT.") var frame = "1280x720"
    @OptionGroup var reference: ReferenceOptions
    @OptionGroup var compute: DeviceChoice

    func run() throws {
        let sides = frame.split(separator: "x").compactMap { Int($0) }
        guard sides.count == 2, sides.allSatisfy({ $0 > 0 }) else { throw ValidationError("--frame must be WIDTHxHEIGHT, not '\(frame)'.") }
        let (width, height) = (sides[0], sides[1])
        var ours: [Precision: Double] = [:]
        try compute.run {
            let net = Initialization.withSeed(0) { TransformerNet() }
            var generator = RandomGenerator(seed: 1)
            let image = Tensor.randomUniform([1, 3, height, width], generator: &generator) * 255
            for precision in Precision.allCases {
                ours[precision] = medianSeconds(runs: runs) {
                    let styled = Precision.$current.withValue(precision) { withoutGradients { net(image) } }
                    styled.device.synchronize()
                }
                print(String(format: "impasto transformer %dp %@: median %.1f ms", height, precision.rawValue,
                             ours[precision]! * 1000))
                fflush(nil)
            }
        }
        let theirs = reference.run(["transformer", "--runs", "\(runs)", "--frame", frame] + compute.referenceArguments)
        precisionRatioLines("transformer \(height)p", ours, theirs)
    }
}

struct ClassifyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "MobileNetV2 (torchvision's architecture, random weights, batch norms folded) on 224×224 batches of 1 and 16.")

    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @OptionGroup var reference: ReferenceOptions

    func run() throws {
        let model = Initialization.withSeed(0) { MobileNetV2() }
        var generator = RandomGenerator(seed: 1)
        var ours: [Int: Double] = [:]
        for batch in [1, 16] {
            let images = Tensor.randomUniform([batch, 3, 224, 224], generator: &generator)
            ours[batch] = medianSeconds(runs: runs) { _ = withoutGradients { model(images) } }
            print(String(format: "impasto classify batch %d: median %.1f ms (%.1f images/s)", batch, ours[batch]! * 1000,
                         Double(batch) / ours[batch]!))
            fflush(nil)
        }
        let theirs = reference.run(["classify", "--runs", "\(runs)"])
        for batch in [1, 16] { ratioLine("classify batch \(batch)", ours[batch]!, theirs["classify batch \(batch)"]) }
    }
}

struct StylizeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize",
        abstract: "Gatys style transfer (neural-style's defaults, L-BFGS) on the bundled images: seconds per iteration.")

    @Option(help: "Longest side in pixels.") var size = 512
    @Option(help: "Timed iterations (the median is reported), after two warm-up iterations.") var runs = 10
    @OptionGroup var reference: ReferenceOptions
    @OptionGroup var compute: DeviceChoice

    func run() throws {
        let ours = try compute.run { try runHere() }
        let theirs = reference.run(["stylize", "--size", "\(size)", "--runs", "\(runs)"] + compute.referenceArguments)
        precisionRatioLines("stylize \(size)px", ours, theirs)
    }

    /// Impasto's median seconds per iteration in each precision.
    private func runHere() throws -> [Precision: Double] {
        let content = try exampleImage("tubingen.jpg")
        let style = try exampleImage("starry_night.jpg")
        let network = Initialization.withSeed(0) { VGG19() }
        let weights = Dictionary(uniqueKeysWithValues: network.stateDict().map { ($0.name, $0.tensor) })
        let stylizer = try Stylizer(weights: weights, preprocessing: .caffe, source: "random VGG-19")
        var ours: [Precision: Double] = [:]
        for precision in Precision.allCases {
            var options = StylizeOptions()
            options.size = size
            options.iterations = runs + 2
            options.initialization = .content
            options.precision = precision
            var times: [Double] = [], last = Date()
            _ = try stylizer.run(content: content, styles: [style], options: options) { _ in
                times.append(Date().timeIntervalSince(last))
                last = Date()
                return .proceed
            }
            let timed = times.dropFirst(2).sorted()
            ours[precision] = timed[timed.count / 2]
            print(String(format: "impasto stylize %dpx %@: median %.3f s", size, precision.rawValue, ours[precision]!))
            fflush(nil)
        }
        return ours
    }
}

struct MTCNNBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtcnn",
        abstract: "MTCNN face detection (facenet-pytorch's defaults and weights) on the astronaut photo at 640×480 and 1920×1080: images per second.")

    @Option(help: "Timed runs per size (the median is reported).") var runs = 5
    @Option(help: "The folder with facenet-pytorch's pnet.pt, rnet.pt and onet.pt.")
    var weights = testWeightsPath("facenet-pytorch-2.6.0")
    @OptionGroup var reference: ReferenceOptions

    func run() throws {
        let folder = URL(fileURLWithPath: weights)
        let detector = try MTCNNDetector(pnet: folder.appendingPathComponent("pnet.pt"),
                                         rnet: folder.appendingPathComponent("rnet.pt"),
                                         onet: folder.appendingPathComponent("onet.pt"))
        let photo = try exampleImage("astronaut.png")
        let theirs = reference.run(["mtcnn", "--runs", "\(runs)"])
        for (width, height) in [(640, 480), (1920, 1080)] {
            // Pillow's bicubic on both sides (torch_reference.py resizes the same file with Pillow).
            let image = photo.resized(width: width, height: height)
            let ours = medianSeconds(runs: runs) { _ = detector.detect([image]) }
            let label = "mtcnn \(width)x\(height)"
            print(String(format: "impasto %@: median %.1f ms (%.2f images/s)", label, ours * 1000, 1 / ours))
            ratioLine(label, ours, theirs[label])
        }
    }
}

struct BlazeFaceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blazeface",
        abstract: "MediaPipe's short-range face detector on the astronaut photo at 640×480 and 1280×720, beside mediapipe's FaceDetection: images per second.")

    @Option(help: "Timed runs per size (the median is reported).") var runs = 5
    @Option(help: "mediapipe 0.10.14's face_detection_short_range.tflite.")
    var weights = testWeightsPath("mediapipe-0.10.14/face_detection/face_detection_short_range.tflite")
    @OptionGroup var reference: ReferenceOptions

    func run() throws {
        let detector = BlazeFaceDetector(model: try BlazeFace(contentsOf: URL(fileURLWithPath: weights)))
        let photo = try exampleImage("astronaut.png")
        let theirs = reference.run(["blazeface", "--runs", "\(runs)"])
        for (width, height) in [(640, 480), (1280, 720)] {
            // Pillow's bicubic on both sides (torch_reference.py resizes the same file with Pillow).
            let image = photo.resized(width: width, height: height)
            let pixels = image.tensor()
            let input = try detector.model.input(for: pixels).tensor
            let warp = medianSeconds(runs: runs) { _ = try! detector.model.input(for: pixels) }
            let network = medianSeconds(runs: runs) { _ = try! detector.model.rawOutputs(for: input) }
            let ours = medianSeconds(runs: runs) { _ = try! detector.detect(image) }
            let label = "blazeface \(width)x\(height)"
            print(String(format: "impasto %@ parts: input warp %.2f ms, network %.2f ms", label, warp * 1000, network * 1000))
            print(String(format: "impasto %@: median %.2f ms (%.1f images/s)", label, ours * 1000, 1 / ours))
            ratioLine(label, ours, theirs[label])
        }
    }
}

struct CutoutBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutout",
        abstract: "MediaPipe's general selfie segmenter on the astronaut photo at 1280×720: the mask alone, and the whole RGBA cutout.")

    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @Option(help: "mediapipe 0.10.14's selfie_segmentation.tflite.")
    var weights = testWeightsPath("mediapipe-0.10.14/selfie_segmentation/selfie_segmentation.tflite")
    @OptionGroup var reference: ReferenceOptions

    func run() throws {
        let segmenter = try SelfieSegmentation(contentsOf: URL(fileURLWithPath: weights))
        let photo = try exampleImage("astronaut.png")
        // Pillow's bicubic on both sides (torch_reference.py resizes the same file with Pillow).
        let image = photo.resized(width: 1280, height: 720)
        let pixels = image.tensor()
        let job = CutoutJob(inputs: [], destination: .standardOutput)
        let theirs = reference.run(["cutout", "--runs", "\(runs)"])
        let input = mediaPipeImageToTensor(pixels, width: segmenter.inputWidth, height: segmenter.inputHeight)
        let warp = medianSeconds(runs: runs) { _ = mediaPipeImageToTensor(pixels, width: segmenter.inputWidth, height: segmenter.inputHeight) }
        let network = medianSeconds(runs: runs) { _ = try! segmenter.interpreter([input]) }
        print(String(format: "impasto cutout parts: input warp %.1f ms, network %.1f ms", warp * 1000, network * 1000))
        let mask = medianSeconds(runs: runs) { _ = try! segmenter.mask(for: pixels) }
        print(String(format: "impasto cutout mask 1280x720: median %.1f ms", mask * 1000))
        ratioLine("cutout mask 1280x720", mask, theirs["cutout mask 1280x720"])
        let whole = medianSeconds(runs: runs) { _ = try! job.cutout(image, segmenter: .selfie(segmenter)) }
        print(String(format: "impasto cutout rgba 1280x720: median %.1f ms", whole * 1000))
        ratioLine("cutout rgba 1280x720", whole, theirs["cutout rgba 1280x720"])
    }
}

/// FC-DenseNet56 of `impasto train-segmenter` (two classes, the seeded initialisation; timing only): inference on
/// one 224×224 picture, and one training step (forward in training mode with dropout, pixel cross-entropy,
/// backward, RMSProp at 1e-3 with weight decay 1e-4) on a batch of 4 at `--train-size`. PyTorch runs the same
/// network written with torch.nn (scripts/make_segmenter_reference.py) with the same optimizer settings.
struct SegmenterBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segmenter",
        abstract: "FC-DenseNet56: forward at 224² and one RMSProp training step at batch 4, beside the same network in PyTorch.")

    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @Option(help: "The side of the training step's pictures.") var trainSize = 96
    @OptionGroup var reference: ReferenceOptions

    func run() {
        let network = SegmenterArchitecture.fcdensenet56.makeNetwork()
        var generator = RandomGenerator(seed: 1)
        let picture = Tensor.randomUniform([1, 3, 224, 224], in: -1...1, generator: &generator)
        network.train(false)
        network.requireGradients(false)
        let forward = medianSeconds(runs: runs) { _ = withoutGradients { network(picture) }.scalars }
        let forwardLabel = "segmenter fcdensenet56 forward 224x224"
        print(String(format: "impasto %@: median %.1f ms", forwardLabel, forward * 1000))
        fflush(nil)

        let batch = Tensor.randomUniform([4, 3, trainSize, trainSize], in: -1...1, generator: &generator)
        // A centred disk is the person in every picture of the batch.
        let radius = Double(trainSize) / 3, centre = Double(trainSize - 1) / 2
        let disk = (0..<(trainSize * trainSize)).map { index -> Int in
            let dx = Double(index % trainSize) - centre, dy = Double(index / trainSize) - centre
            return dx * dx + dy * dy <= radius * radius ? 1 : 0
        }
        let targets = Array(repeating: disk, count: 4).flatMap { $0 }
        network.train(true)
        network.requireGradients(true)
        let optimizer = RMSProp(parameters: network.parameters().map(\.tensor), learningRate: 1e-3, weightDecay: 1e-4)
        let step = medianSeconds(runs: runs) {
            let loss = pixelCrossEntropy(logits: network(batch), targets: targets)
            optimizer.step(loss.backward())
            _ = loss.scalar
        }
        let stepLabel = "segmenter fcdensenet56 train step 4x\(trainSize)x\(trainSize)"
        print(String(format: "impasto %@: median %.1f ms", stepLabel, step * 1000))
        fflush(nil)
        let theirs = reference.run(["segmenter", "--size", "\(trainSize)", "--runs", "\(runs)"])
        ratioLine(forwardLabel, forward, theirs[forwardLabel])
        ratioLine(stepLabel, step, theirs[stepLabel])
    }
}

/// The trained face cascade against MTCNN on held-out pictures: precision and recall of the cascade's boxes
/// against MTCNN's (a match is IoU ≥ 0.5, each MTCNN face matched at most once, most probable cascade box first),
/// and the time per picture of each, medians of `runs`.
struct CascadeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "The face cascade of impasto train-faces against MTCNN on held-out pictures: precision, recall, and ms per picture of both.")

    @Option(help: "The cascade (impasto train-faces -o).") var weights: String
    @Option(help: "The folder with facenet-pytorch's pnet.pt, rnet.pt and onet.pt.")
    var mtcnn = testWeightsPath("facenet-pytorch-2.6.0")
    @Option(help: "Held-out pictures (none of them given to train-faces).")
    var pictures: [String] = ["group.png", "small-faces.png", "camera.png", "astronaut-small.png", "starry-night.png",
                              "shipwreck.png", "the-scream.png"].map { "Tests/ImpastoStudioTests/Fixtures/mtcnn-detect/\($0)" }
    @Option(help: "The smallest face both look for, in pixels.") var minFaceSize = 20
    @Option(help: "The cascade's 12-, 24- and 48-net thresholds.") var thresholds = "0.7,0.5,0.5"
    @Option(help: "Timed runs per picture (the median is reported).") var runs = 3
    @Option(help: "Windows per batch between the cascade's stages.") var batchSize = 128

    func run() throws {
        let folder = URL(fileURLWithPath: mtcnn)
        let reference = try MTCNNDetector(pnet: folder.appendingPathComponent("pnet.pt"), rnet: folder.appendingPathComponent("rnet.pt"),
                                          onet: folder.appendingPathComponent("onet.pt"))
        var mtcnnOptions = MTCNNOptions()
        mtcnnOptions.minFaceSize = minFaceSize
        var options = CascadeOptions()
        options.minFaceSize = minFaceSize
        options.batchSize = batchSize
        options.thresholds = thresholds.split(separator: ",").compactMap { Float($0) }
        guard options.thresholds.count == 3 else { throw ValidationError("--thresholds takes three numbers.") }
        let cascade = try CascadeDetector(weights: URL(fileURLWithPath: weights), options: options)
        var (matched, squareMatched, found, expected) = (0, 0, 0, 0)
        var (cascadeTime, mtcnnTime) = (0.0, 0.0)
        for path in pictures {
            let image = try Image(contentsOf: URL(fileURLWithPath: path))
            let truth = reference.detect([image], options: mtcnnOptions)[0]
            let faces = cascade.detect(image)
            let hits = Self.matches(faces, truth.map(\.box))
            let squareHits = Self.matches(faces, truth.map { Self.squared($0.box) })
            let ours = medianSeconds(runs: runs) { _ = cascade.detect(image) }
            let theirs = medianSeconds(runs: runs) { _ = reference.detect([image], options: mtcnnOptions) }
            (matched, squareMatched, found, expected) = (matched + hits, squareMatched + squareHits, found + faces.count, expected + truth.count)
            (cascadeTime, mtcnnTime) = (cascadeTime + ours, mtcnnTime + theirs)
            print(String(format: "%@ %dx%d: MTCNN %d faces, cascade %d boxes, %d matched (%d of the squared boxes); cascade %.1f ms, MTCNN %.1f ms",
                         URL(fileURLWithPath: path).lastPathComponent, image.width, image.height, truth.count, faces.count, hits, squareHits,
                         ours * 1000, theirs * 1000))
        }
        print(String(format: "cascade vs MTCNN (IoU ≥ 0.5): precision %d/%d = %.2f, recall %d/%d = %.2f", matched, found,
                     found == 0 ? 0 : Double(matched) / Double(found), matched, expected, expected == 0 ? 0 : Double(matched) / Double(expected)))
        print(String(format: "against MTCNN's boxes made square as train-faces squares them: precision %d/%d = %.2f, recall %d/%d = %.2f",
                     squareMatched, found, found == 0 ? 0 : Double(squareMatched) / Double(found), squareMatched, expected,
                     expected == 0 ? 0 : Double(squareMatched) / Double(expected)))
        print(String(format: "time over the %d pictures: cascade %.1f ms, MTCNN %.1f ms (cascade/MTCNN %.2f)", pictures.count,
                     cascadeTime * 1000, mtcnnTime * 1000, cascadeTime / mtcnnTime))
    }

    /// An MTCNN box as the cascade learned it: square about its centre, the mean of its width and height on a side.
    static func squared(_ box: FaceBox) -> FaceBox {
        let side = ((box.x2 - box.x1) + (box.y2 - box.y1)) / 2, (cx, cy) = ((box.x1 + box.x2) / 2, (box.y1 + box.y2) / 2)
        return FaceBox(x1: cx - side / 2, y1: cy - side / 2, x2: cx + side / 2, y2: cy + side / 2)
    }

    /// How many of `truth` a box of `faces` (most probable first) overlaps with IoU ≥ 0.5, each used once.
    static func matches(_ faces: [DetectedFace], _ truth: [FaceBox]) -> Int {
        var free = truth
        var count = 0
        for face in faces.sorted(by: { $0.probability > $1.probability }) {
            guard let best = free.indices.max(by: { iou(face.box, free[$0]) < iou(face.box, free[$1]) }),
                  iou(face.box, free[best]) >= 0.5 else { continue }
            free.remove(at: best)
            count += 1
        }
        return count
    }

    static func iou(_ a: FaceBox, _ b: FaceBox) -> Float {
        let width = max(0, min(a.x2, b.x2) - max(a.x1, b.x1)), height = max(0, min(a.y2, b.y2) - max(a.y1, b.y1))
        let intersection = width * height
        return intersection / (a.area + b.area - intersection)
    }
}

struct UpscaleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscale",
        abstract: "waifu2x 2× (no denoising, block 128) on a square crop of the astronaut photo, beside waifu2x's own Chainer code.")

    @Option(help: "Timed runs (the median is reported).") var runs = 3
    @Option(help: "upconv7, vgg7, resnet10 or upresnet10.") var model = "upconv7"
    @Option(help: "Side of the crop, in pixels (at most 512).") var size = 256
    @Option(help: "A folder of waifu2x's anime_style_*.npz files for --model (default: the test weights).")
    var weights: String?
    @OptionGroup var reference: ReferenceOptions

    func run() throws {
        guard let name = Waifu2xModel(rawValue: model) else { throw ValidationError("--model must be upconv7, vgg7, resnet10 or upresnet10.") }
        var options = UpscaleOptions(model: name)
        options.weightsFolder = weights ?? testWeightsPath("waifu2x-2024.0.1/\(model)")
        let upscaler = try Waifu2xUpscaler(options: options)
        // The same crop on both sides: waifu2x_reference.py crops the file with Pillow, (512 − size) / 2 from each edge.
        let offset = (512 - size) / 2
        let crop = try exampleImage("astronaut.png").rgb().cropped(x: offset, y: offset, width: size, height: size)
        let theirs = reference.run(["upscale", "--model", model, "--size", "\(size)", "--runs", "\(runs)"],
                                   script: "bench/waifu2x_reference.py", python: "scripts/waifu2x-python.sh")
        let label = "upscale \(model) \(size)x\(size)"
        let ours = medianSeconds(runs: runs) { _ = upscaler.process(crop) }
        print(String(format: "impasto %@: median %.3f s", label, ours))
        ratioLine(label, ours, theirs[label])
    }
}

/// The agreement check for a GPU backend: the same Gatys run (random VGG-19, seed 0, neural-style's
/// defaults, L-BFGS from the photo) on the CPU and on `--device`, loss by loss.
struct StylizeDevicesCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stylize-devices",
        abstract: "Gatys losses on the CPU and on --device for the same iterations; fails if any differs by more than --tolerance.")

    @Option(help: "Longest side in pixels.") var size = 256
    @Option(help: "Iterations.") var iterations = 50
    @Option(help: "The largest relative difference of a total loss allowed.") var tolerance: Double = 0.01
    @OptionGroup var compute: DeviceChoice

    func run() throws {
        let content = try exampleImage("tubingen.jpg")
        let style = try exampleImage("starry_night.jpg")
        let network = Initialization.withSeed(0) { VGG19() }
        let weights = Dictionary(uniqueKeysWithValues: network.stateDict().map { ($0.name, $0.tensor) })
        let stylizer = try Stylizer(weights: weights, preprocessing: .caffe, source: "random VGG-19")
        var options = StylizeOptions()
        options.size = size
        options.iterations = iterations
        options.initialization = .content
        options.seed = 0
        func losses() throws -> (totals: [Float], seconds: Double) {
            var totals: [Float] = []
            let start = Date()
            _ = try stylizer.run(content: content, styles: [style], options: options) { progress in
                totals.append(progress.losses.total)
                return .proceed
            }
            return (totals, Date().timeIntervalSince(start))
        }
        let cpu = try losses()
        let device = try compute.run { try losses() }
        var worst = 0.0
        for (index, (a, b)) in zip(cpu.totals, device.totals).enumerated() {
            let difference = Double(abs(a - b)) / max(Double(abs(a)), 1e-30)
            worst = max(worst, difference)
            print(String(format: "iteration %3d: cpu %.6e  %@ %.6e  relative difference %.2e", index + 1, a,
                         compute.device.description, b, difference))
        }
        print(String(format: "stylize %dpx x %d: cpu %.1f s, %@ %.1f s; largest relative loss difference %.2e (tolerance %.0e)",
                     size, iterations, cpu.seconds, compute.device.description, device.seconds, worst, tolerance))
        guard cpu.totals.count == device.totals.count, worst <= tolerance else {
            print("FAIL: the losses differ by more than the tolerance (or the runs have different lengths)")
            throw ExitCode.failure
        }
        print("PASS")
    }
}
