// One claimed job run through Studio: its progress and previews go to the database, its lease is kept alive
// beside it, and it ends exactly once (or, when the lease was lost, leaves no trace).
import Foundation
import ImpastoMedia
import ImpastoStudio
import ImpastoTensor

/// Runs claimed jobs for a worker.
struct JobExecution {
    let queue: any JobQueue
    let files: FileStore
    let configuration: ServerConfiguration

    /// Least seconds between two progress writes (a preview is written whenever one is saved).
    static let progressInterval = 0.5

    /// Runs `job` to its end and records the ending. A stop its owner did not ask for (the worker shutting down,
    /// or the lease lost) gives the job back to the queue.
    func run(_ job: ClaimedJob, control: JobControl) {
        // Earlier attempts' folders are left by workers that died; this attempt starts from nothing.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: files.workFolder.path)) ?? []
        where name.hasPrefix(job.id + "-") {
            try? FileManager.default.removeItem(at: files.workFolder.appendingPathComponent(name))
        }
        let work = files.workFolder.appendingPathComponent("\(job.id)-\(job.attempt)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let lease = LeaseKeeper(queue: queue, job: job, seconds: configuration.leaseSeconds, control: control)
        let progress = ProgressRecorder(queue: queue, files: files, job: job)
        let ending: JobEnding
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let output = work.appendingPathComponent("result.png")
            let (stopped, findings) = try perform(job, work: work, output: output, context: progress.context(control: control))
            lease.stop()
            if stopped && !lease.cancelRequested {
                ending = .released
            } else if stopped {
                // Stopped before its first image (apply stops between batches), a job ends with nothing to show.
                ending = .cancelled(result: FileManager.default.fileExists(atPath: output.path) ? try files.adopt(output) : nil)
            } else {
                ending = .done(result: try files.adopt(output), findings: findings?.json)
            }
        } catch {
            lease.stop()
            ending = .failed(sentence(for: error))
        }
        let ended = (try? queue.finish(job, ending)) ?? false
        if !ended {
            // The lease was lost (expired and claimed again, or the job deleted): nothing of this run is kept.
            if case let .done(result, _) = ending { files.remove([result]) }
            if case let .cancelled(result) = ending { files.remove([result]) }
            if let preview = progress.lastPreview { files.remove([preview]) }
        }
    }

    /// Runs the Studio job: whether it was stopped, and what it found besides its picture.
    private func perform(_ job: ClaimedJob, work: URL, output: URL, context: JobContext) throws -> (Bool, JobFindings?) {
        let params = try JobParameters(json: job.params)
        guard let kind = JobKind(rawValue: job.kind) else {
            throw ImpastoError.invalidArgument("This worker does not know jobs of kind '\(job.kind)'.")
        }
        let content = try input(params.content)
        switch kind {
        case .stylize:
            var options = job.tier.preset.applied(to: StylizeOptions())
            options.size = params.size
            options.iterations = params.iterations ?? options.iterations
            options.saveEvery = configuration.previewEvery
            let style = try input(params.style ?? "")
            let stylize = StylizeJob(content: content, styles: [style], output: output, options: options,
                                     weights: configuration.vgg19Weights)
            try stylize.validate()
            return (try stylize.run(context).stopped, nil)
        case .apply:
            var apply = ApplyJob(inputs: [content], destination: .file(output), source: .model(params.model ?? ""))
            apply.size = params.size
            return (try apply.run(context).stopped, nil)
        case .cutout:
            var cutout = CutoutJob(inputs: [try scaled(content, to: params.size, in: work)], destination: .file(output))
            cutout.weights = configuration.selfieSegmenterWeights
            return (try cutout.run(context).stopped, nil)
        case .faces:
            var faces = FacesJob(inputs: [try scaled(content, to: params.size, in: work)])
            faces.weights = configuration.faceWeights
            faces.annotated = .file(output)
            let outcome = try faces.run(context)
            let found = outcome.images.first?.faces.map { face in
                JobFindings.Face(box: [face.box.x1, face.box.y1, face.box.x2, face.box.y2], probability: face.probability,
                                 landmarks: face.landmarks.map { [$0.x, $0.y] })
            }
            return (outcome.stopped, JobFindings(faces: found ?? []))
        case .explain:
            var explain = ExplainJob(input: try scaled(content, to: params.size, in: work), output: output,
                                     method: AttributionMethod(rawValue: params.method ?? "") ?? .gradcam)
            explain.weights = configuration.classifierWeights
            return (false, JobFindings(target: try explain.run(context).target))
        }
    }

    /// The photo with its longest side at most `size` (the tier's), as a PNG in the work folder: Studio's cutout,
    /// faces and explain work at the size they are given.
    private func scaled(_ photo: URL, to size: Int, in work: URL) throws -> URL {
        let image = try Image(contentsOf: photo)
        let url = work.appendingPathComponent("input.png")
        try (max(image.width, image.height) > size ? image.resized(longestSide: size) : image).write(to: url, format: .png)
        return url
    }

    private func input(_ id: String) throws -> URL {
        guard let url = files.url(of: id), FileManager.default.fileExists(atPath: url.path) else {
            throw ImpastoError.invalidArgument("The upload \(id) is no longer there.")
        }
        return url
    }

    /// The error as its owner reads it: paths inside the data folder become the ids they are.
    private func sentence(for error: any Error) -> String {
        "\(error)".replacingOccurrences(of: files.folder.path + "/", with: "upload ")
            .replacingOccurrences(of: files.workFolder.path + "/", with: "")
    }
}

/// Renews a job's lease every third of its length on its own thread, and stops the job when the lease is lost or
/// its owner asks.
final class LeaseKeeper: @unchecked Sendable {
    private let queue: any JobQueue
    private let job: ClaimedJob
    private let seconds: Double
    private let control: JobControl
    private let lock = NSLock()
    private var stopped = false
    private var cancel = false
    private let wake = DispatchSemaphore(value: 0)

    init(queue: any JobQueue, job: ClaimedJob, seconds: Double, control: JobControl) {
        self.queue = queue
        self.job = job
        self.seconds = seconds
        self.control = control
        Thread { [self] in keep() }.start()
    }

    private func keep() {
        while !isStopped {
            _ = wake.wait(timeout: .now() + seconds / 3)
            if isStopped { return }
            // A failed renewal (the database busy past its timeout) is tried again at the next third.
            switch (try? queue.renew(job, leaseSeconds: seconds)) ?? .held(cancelRequested: false) {
            case .lost: control.cancel()
            case .held(true):
                lock.withLock { cancel = true }
                control.cancel()
            case .held(false): break
            }
        }
    }

    private var isStopped: Bool { lock.withLock { stopped } }
    /// Whether the job's owner asked it to stop.
    var cancelRequested: Bool { lock.withLock { cancel } }

    func stop() {
        lock.withLock { stopped = true }
        wake.signal()
    }
}

/// Turns a Studio job's JSON progress events into database writes, at most one every `progressInterval` seconds,
/// and adopts every image it saves as the job's preview.
final class ProgressRecorder: @unchecked Sendable {
    private let queue: any JobQueue
    private let files: FileStore
    private let job: ClaimedJob
    private let lock = NSLock()
    private var lastWrite = 0.0
    private var latest = 0.0
    private var latestDetail: String?
    private(set) var lastPreview: String?

    init(queue: any JobQueue, files: FileStore, job: ClaimedJob) {
        self.queue = queue
        self.files = files
        self.job = job
    }

    func context(control: JobControl) -> JobContext {
        JobContext(progress: .json,
                   streams: .init(output: { [self] line in handle(line) }, error: { _ in }, errorIsTerminal: false),
                   control: control)
    }

    private func handle(_ line: String) {
        guard let event = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return }
        lock.withLock {
            let params = try? JobParameters(json: job.params)
            var progress: Double?
            var detail: String?
            defer {
                if let progress { latest = progress }
                if let detail { latestDetail = detail }
            }
            if let iteration = event["iteration"] as? Int, let total = params?.iterations, total > 0 {
                progress = Double(iteration) / Double(total)
                detail = "iteration \(iteration) of \(total)"
                if let loss = event["loss"] as? Double { detail! += String(format: ", loss %.4g", loss) }
            } else if event["input"] != nil {
                progress = 1
            }
            // A preview's id is recorded before its file is moved there: a worker killed in between leaves a
            // preview that reads as missing until the next one, never a file that nothing names.
            var preview: (id: String, file: URL)?
            if let message = event["message"] as? String, message.hasPrefix("Saved ") {
                preview = (FileStore.newID(), URL(fileURLWithPath: String(message.dropFirst("Saved ".count))))
            }
            let now = ServerDatabase.now()
            guard preview != nil || (progress != nil && now - lastWrite >= JobExecution.progressInterval) else { return }
            lastWrite = now
            let replaced = try? queue.report(job, progress: progress ?? latest, detail: detail ?? latestDetail,
                                             preview: preview?.id)
            guard let replaced else {
                // The lease is lost: the job is someone else's now, or gone.
                if let preview { try? FileManager.default.removeItem(at: preview.file) }
                return
            }
            if let preview {
                if (try? files.adopt(preview.file, as: preview.id)) != nil { lastPreview = preview.id }
                files.remove([replaced])
            }
        }
    }
}
