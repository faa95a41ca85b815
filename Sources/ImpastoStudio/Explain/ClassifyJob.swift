import Foundation
import ImpastoMedia
import ImpastoTensor

/// One `impasto classify` run: the ImageNet classes of each image (and of the images in each folder), from
/// MobileNetV2 with torchvision's weights, with progress through a `JobContext`. In JSON mode each image is one
/// event on standard output: `{"event":"image","input":…,"classes":[{"index":…,"label":…,"probability":…}, …]}`.
public struct ClassifyJob: Sendable {
    /// Images (JPEG or PNG) and folders of them.
    public var inputs: [URL]
    /// How many classes to report per image.
    public var top = 5
    /// A MobileNetV2 state dict to use instead of the installed `mobilenet_v2` (`--weights`).
    public var weights: String?

    public init(inputs: [URL]) { self.inputs = inputs }

    /// One image's classes, most likely first.
    public struct Result: Sendable {
        public let input: URL
        public let classes: [Classification]
    }

    /// Checks the options before any work.
    public func validate() throws {
        guard (1...1000).contains(top) else {
            throw ImpastoError.invalidArgument("--top must be between 1 and 1000, not \(top).")
        }
    }

    /// Classifies every image in order; a stop ends the run after the current image.
    public func run(_ context: JobContext = JobContext()) throws -> [Result] {
        try validate()
        let images = try ImageInputs.expand(inputs)
        let classifier = try ModelCache.shared.installedClassifier(weights: weights)
        let reporter = context.reporter(title: "classify", unit: .steps(name: "image", rateSymbol: "img/s"),
                                        total: Int64(images.count))
        var results: [Result] = []
        for url in images {
            if context.control.isCancelled { break }
            let classes = classifier.classify([try Image(contentsOf: url)], top: top)[0]
            results.append(Result(input: url, classes: classes))
            reporter.update(completed: Int64(results.count), detail: "\(url.lastPathComponent): \(classes[0].label)",
                            json: [("event", "image"), ("input", .string(url.path)),
                                   ("classes", .array(classes.map(\.json)))])
        }
        reporter.finish(summary: "Classified \(results.count) of \(images.count) images",
                        json: [("event", .string(results.count < images.count ? "stopped" : "done")),
                               ("images", .int(Int64(results.count)))])
        return results
    }
}

extension Classification {
    /// The class as a JSON object.
    public var json: ProgressValue {
        .object([.init("index", .int(Int64(index))), .init("label", .string(label)),
                 .init("probability", .float(probability)), .init("logit", .float(logit))])
    }
}
