import Foundation
import ImpastoFormats
import ImpastoMedia
import ImpastoTensor

/// The files a training run writes, named after its output model `<dir>/<name>.safetensors`:
/// `<name>.checkpoint.safetensors` (the latest checkpoint), `<name>.loss.csv` (the loss log), and per snapshot
/// `<name>-<iteration>.safetensors` and `<name>-<iteration>.png`.
public struct TrainingFiles: Sendable {
    /// The trained model, written at the end.
    public let model: URL

    /// The files that go with `model`.
    public init(model: URL) { self.model = model }

    private var stem: URL { model.deletingPathExtension() }
    /// The latest checkpoint, for `--resume`.
    public var checkpoint: URL { stem.appendingPathExtension("checkpoint.safetensors") }
    /// The loss log.
    public var lossLog: URL { stem.appendingPathExtension("loss.csv") }
    /// The model snapshot after `iteration` iterations.
    public func snapshot(_ iteration: Int) -> URL { URL(fileURLWithPath: stem.path + String(format: "-%06d.safetensors", iteration)) }
    /// The validation grid after `iteration` iterations.
    public func grid(_ iteration: Int) -> URL { URL(fileURLWithPath: stem.path + String(format: "-%06d.png", iteration)) }
}

extension StyleTrainer {
    /// Trains until `iterations` are done or `shouldStop` (asked after each step) says to stop, logging each
    /// step's losses to `files.lossLog` (appending when resumed), writing a snapshot, its grid and the
    /// checkpoint every `snapshotEvery` iterations (0: never), and at the end, stopped or not, the model and
    /// the checkpoint: a stopped run keeps its latest weights and can be resumed. A step that fails leaves the
    /// checkpoint of the iterations done before it is rethrown.
    ///
    /// - Returns: whether `shouldStop` ended the run before `iterations`.
    @discardableResult
    public func train(iterations: Int, files: TrainingFiles, snapshotEvery: Int = 0,
                      progress: ProgressReporter? = nil, shouldStop: () -> Bool = { false }) throws -> Bool {
        let log = try LossLog(url: files.lossLog, keepingThrough: iteration)
        let start = ProgressReporter.monotonicSeconds()
        var stopped = false
        while iteration < iterations && !stopped {
            let losses: TrainingLosses
            do {
                losses = try step()
            } catch {
                // A photo that cannot be read (the batch is loaded before anything changes) costs the iterations
                // since the last checkpoint, not the run: remove it and resume.
                if iteration > 0, (try? saveCheckpoint(to: files.checkpoint)) != nil {
                    progress?.note("Saved \(files.checkpoint.path) for --resume")
                } else if iteration == 0 {
                    log.remove()  // a run that never took a step leaves nothing behind
                }
                throw error
            }
            try log.append(losses.csvRow(seconds: ProgressReporter.monotonicSeconds() - start))
            progress?.update(completed: Int64(iteration),
                             detail: String(format: "loss %.4g", losses.total),
                             json: [("iteration", .int(Int64(iteration))), ("loss", .float(losses.total))])
            stopped = iteration < iterations && shouldStop()
            if snapshotEvery > 0, iteration % snapshotEvery == 0, iteration < iterations {
                try saveModel(to: files.snapshot(iteration))
                try validationGrid().write(to: files.grid(iteration), format: .png)
                try saveCheckpoint(to: files.checkpoint)
                progress?.note("Saved \(files.snapshot(iteration).path) and \(files.grid(iteration).path)")
            }
        }
        try saveModel(to: files.model)
        try saveCheckpoint(to: files.checkpoint)
        return stopped
    }

    /// Writes the network's weights with TransformerNet's keys, loadable by `impasto apply --model`.
    public func saveModel(to url: URL) throws {
        try SafeTensors.write(Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.tensor) }), to: url)
    }
}

/// The loss log: a CSV file whose rows are appended as training goes, so a crash keeps the rows so far.
final class LossLog {
    private var descriptor: Int32
    private let url: URL

    /// Opens `url`, keeping the header and the rows of iterations up to `iteration` (those a resumed run
    /// continues from) and dropping later ones, which the resumed run will write again.
    init(url: URL, keepingThrough iteration: Int) throws {
        self.url = url
        var lines = [TrainingLosses.csvHeader]
        if iteration > 0, let text = try? String(contentsOf: url, encoding: .utf8) {
            lines += text.split(separator: "\n").dropFirst()
                .filter { line in line.split(separator: ",").first.flatMap { Int($0) }.map { $0 <= iteration } ?? false }
                .map(String.init)
        }
        // The first content replaces the old log whole, so a failure (a full disk) leaves the old log or none.
        let file = try AtomicFile(url)
        try Array((lines.joined(separator: "\n") + "\n").utf8).withUnsafeBytes { try file.append($0) }
        try file.commit()
        descriptor = open(url.path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard descriptor >= 0 else { throw ImpastoError.writeFailed(path: url.path, reason: String(cString: strerror(errno))) }
    }

    func append(_ row: String) throws {
        guard Array((row + "\n").utf8).withUnsafeBytes({ writeFully($0, to: descriptor) }) else {
            throw ImpastoError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Deletes the log.
    func remove() {
        close(descriptor)
        descriptor = -1
        unlink(url.path)
    }

    deinit { if descriptor >= 0 { close(descriptor) } }
}
