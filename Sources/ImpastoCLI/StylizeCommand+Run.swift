// Running `impasto stylize`: weights, images, the optimisation with its progress, and the files it writes.
import ArgumentParser
import Foundation
import ImpastoMedia
import ImpastoStudio

extension StylizeCommand {
    /// The PNG text key under which the settings of a result are stored.
    static let settingsKey = "impasto.stylize"

    /// Stylises with progress on the process's streams.
    func run() throws {
        try run(streams: .standard)
    }

    /// Stylises, reporting to `streams`. Every input is read before the optimisation starts, and nothing is
    /// written unless it succeeds or is interrupted (then the latest image is written and the exit status is 130).
    func run(streams: ProgressReporter.Streams) throws {
        var options = try stylizeOptions()
        // A drawn seed is recorded with the result, so any image can be made again.
        if options.seed == nil { options.seed = UInt64.random(in: 0..<1 << 32) }
        let ignored = [gpu.map { _ in "-gpu" }, backend.map { _ in "-backend" }, cudnnAutotune ? "-cudnn_autotune" : nil]
            .compactMap { $0 }
        if !ignored.isEmpty && !progress.quiet {
            streams.error("note: \(ignored.joined(separator: ", ")) ignored; Impasto runs on the CPU.\n")
        }

        let resolution = try ModelStore().resolve(model: "vgg19", variant: weights == nil ? variant : nil,
                                                  explicitPath: weights)
        if let note = resolution.note, !progress.quiet { streams.error("note: \(note)\n") }
        let weightsURL = resolution.url
        // A file of unrecognised name gets neural-style's Caffe preprocessing.
        let preprocessing = variant.flatMap(VGGPreprocessing.init(variant:)) ?? resolution.preprocessing
            ?? VGGPreprocessing(fileName: weightsURL.lastPathComponent) ?? .caffe
        let content = try Image(contentsOf: URL(fileURLWithPath: contentPath!))
        let styles = try stylePaths.map { try Image(contentsOf: URL(fileURLWithPath: $0)) }
        let stylizer = try Stylizer(contentsOf: weightsURL, preprocessing: preprocessing)
        let settings = [Self.settingsKey: settingsLine(options, preprocessing: preprocessing), "Software": "Impasto"]

        let total = options.stages.reduce(0) { $0 + $1.iterations }
        let reporter = ProgressReporter(mode: progress.mode, title: "stylize",
                                        unit: .steps(name: "iteration", rateSymbol: "it/s"), total: Int64(total),
                                        streams: streams)
        let interrupt = InterruptFlag()
        defer { interrupt.uninstall() }
        let result = try stylizer.run(content: content, styles: styles, options: options) { step in
            let losses = step.losses
            reporter.update(
                completed: Int64(step.iteration),
                detail: (step.stageCount > 1 ? "stage \(step.stage + 1)/\(step.stageCount)  " : "")
                    + String(format: "loss %.4g (content %.4g, style %.4g, tv %.4g)",
                             losses.total, losses.content, losses.style, losses.tv),
                json: [("iteration", .int(Int64(step.iteration))), ("loss", .float(losses.total)),
                       ("content", .float(losses.content)), ("style", .float(losses.style)),
                       ("tv", .float(losses.tv))])
            if step.isCheckpoint {
                let path = checkpointPath(iteration: step.iteration)
                try write(step.image(), to: path, settings: settings)
                reporter.note("Saved \(path)")
            }
            return interrupt.isRaised ? .stop : .proceed
        }
        try write(result.image, to: output!, settings: settings)

        let seconds = String(format: "%.1f s", reporter.elapsed)
        let json: [(String, ProgressValue)] = [("output", .string(output!)), ("iterations", .int(Int64(result.iterations))),
                                               ("loss", .float(result.losses.total))]
        if result.stopped {
            reporter.finish(summary: "Stopped after \(result.iterations) of \(total) iterations (\(seconds)); wrote \(output!)",
                            json: [("event", "stopped")] + json)
            throw ExitCode(130)
        }
        reporter.finish(summary: "Wrote \(output!) (\(total) iterations, \(seconds), loss \(result.losses.total))",
                        json: [("event", "done")] + json)
    }

    /// Writes atomically, as PNG with the settings or as JPEG, by the path's extension.
    private func write(_ image: Image, to path: String, settings: [String: String]) throws {
        let format = Self.outputFormats[URL(fileURLWithPath: path).pathExtension.lowercased()]!
        try image.write(to: URL(fileURLWithPath: path), format: format, textChunks: format == .png ? settings : [:])
    }

    /// The settings of a run as an `impasto stylize` command line with every value spelled out (the preset
    /// resolved, the seed drawn), so the image can be made again; the output path is left out, because the
    /// pixels do not depend on it.
    func settingsLine(_ options: StylizeOptions, preprocessing: VGGPreprocessing) -> String {
        var arguments = ["impasto", "stylize", contentPath!, "--style", stylePaths.joined(separator: ",")]
        func add(_ name: String, _ value: some CustomStringConvertible) { arguments += ["--" + name, value.description] }
        func list(_ values: [some CustomStringConvertible]) -> String { values.map(\.description).joined(separator: ",") }
        if let blend = options.styleBlendWeights { add("style-blend", list(blend)) }
        add("content-weight", options.contentWeight)
        add("style-weight", options.styleWeight)
        add("tv-weight", options.tvWeight)
        add("content-layers", list(options.contentLayers))
        add("style-layers", list(options.styleLayers))
        add("pooling", options.pooling.rawValue)
        if options.normalizeGradients { arguments.append("--normalize-gradients") }
        if options.originalColors { arguments.append("--original-colors") }
        if let colors = options.styleColors { add("style-colors", colors) }
        add("size", options.size)
        add("style-scale", options.styleScale)
        add("iterations", options.iterations)
        if !options.scales.isEmpty { add("scales", list(options.scales)) }
        if !options.iterationsPerScale.isEmpty { add("iterations-per-scale", list(options.iterationsPerScale)) }
        add("optimizer", options.optimizer.rawValue)
        if options.optimizer == .adam { add("learning-rate", options.learningRate) }
        if options.optimizer == .lbfgs { add("lbfgs-history", options.historySize) }
        add("init", initImagePath ?? (options.initialization == .random ? "random" : "image"))
        add("seed", options.seed!)
        add("precision", options.precision.rawValue)
        add("variant", preprocessing.rawValue)
        if let weights { add("weights", weights) }
        return arguments.map(Self.shellQuoted).joined(separator: " ")
    }

    /// `text` as one shell word: unchanged when it is safe bare, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.,/:=+@%")
        if !text.isEmpty && text.unicodeScalars.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
