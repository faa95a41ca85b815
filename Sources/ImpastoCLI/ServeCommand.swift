// `impasto serve` and `impasto worker`: parse, then hand everything to ImpastoServer.
import ArgumentParser
import Dispatch
import Foundation
import ImpastoServer
#if canImport(Glibc)
import Glibc
#endif

/// The options `serve` and `worker` share: where the data and the tables are, and how jobs run.
public struct ServiceOptions: ParsableArguments {
    @Option(help: "The folder of the service's files (uploads, results, previews) and, by default, its database.")
    public var data: String = "impasto-data"

    @Option(help: "The database: sqlite:PATH (default: DATA/impasto.sqlite), or postgres://USER[:PASSWORD]@HOST[:PORT]/DB (?host=/DIR for a Unix socket) for the whole service on PostgreSQL, with workers on many machines (each mounting DATA at the same path).")
    public var database: String?

    @Option(help: "Seconds a worker holds a job without renewing; a killed worker's job is requeued after it.")
    public var lease: Double = 30

    @Option(help: "Seconds an idle worker waits before looking for a job again.")
    public var poll: Double = 1

    @Option(name: .customLong("preview-every"), help: "A preview image every this many stylize iterations.")
    public var previewEvery: Int = 10

    @Option(help: "A VGG-19 weight file for stylize jobs instead of the installed one (impasto models fetch vgg19).")
    public var vgg19: String?

    @Option(name: .customLong("selfie-segmenter"), help: "MediaPipe's selfie segmenter (.tflite) for cutout jobs instead of the installed one.")
    public var selfieSegmenter: String?

    @Option(help: "A folder of facenet-pytorch's MTCNN weights (pnet.pt, rnet.pt, onet.pt) for faces jobs instead of the installed ones.")
    public var mtcnn: String?

    @Option(help: "torchvision's MobileNetV2 weights (.pth) for explain jobs instead of the installed ones.")
    public var mobilenet: String?

    public init() {}

    public func validate() throws {
        guard lease >= 1, poll > 0, previewEvery >= 1 else {
            throw ValidationError("--lease must be at least 1 second, --poll positive and --preview-every at least 1.")
        }
        _ = try configuration()
    }

    func configuration() throws -> ServerConfiguration {
        let data = URL(fileURLWithPath: data)
        var configuration: ServerConfiguration
        do {
            configuration = ServerConfiguration(data: data, database: try database.map(DatabaseLocation.init(parsing:)))
        } catch {
            throw ValidationError("\(error)")
        }
        configuration.leaseSeconds = lease
        configuration.pollSeconds = poll
        configuration.previewEvery = previewEvery
        configuration.vgg19Weights = vgg19.map { URL(fileURLWithPath: $0) }
        configuration.selfieSegmenterWeights = selfieSegmenter
        configuration.faceWeights = mtcnn.map { URL(fileURLWithPath: $0) }
        configuration.classifierWeights = mobilenet
        return configuration
    }
}

/// `impasto serve`.
public struct ServeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the web service: accounts, uploads, a queue of stylize, apply, cutout, faces and explain jobs, results and a public feed.",
        discussion: "SIGTERM or Ctrl-C stops it; jobs still running go back to the queue for the next start.")

    @OptionGroup public var service: ServiceOptions

    @Option(help: "The address to listen on.")
    public var host: String = "127.0.0.1"

    @Option(help: "The port to listen on (0: any free port).")
    public var port: Int = 8080

    @Option(help: "Workers in this process (0: only separate `impasto worker` processes run jobs).")
    public var workers: Int = 1

    @Option(name: .customLong("max-upload-mb"), help: "The largest upload, in megabytes.")
    public var maxUploadMB: Int = 20

    @Flag(name: .customLong("no-rate-limits"), help: "Take requests as fast as they come (load measurements on loopback; never on a public address).")
    public var noRateLimits = false

    public init() {}

    public func validate() throws {
        guard (0...65535).contains(port), workers >= 0, maxUploadMB >= 1 else {
            throw ValidationError("--port must be 0…65535, --workers at least 0 and --max-upload-mb at least 1.")
        }
    }

    public func run() async throws {
        var configuration = try service.configuration()
        configuration.maxUploadBytes = maxUploadMB << 20
        if noRateLimits { configuration.removeRateLimits() }
        let service = try ImpastoService(configuration)
        let host = host
        try await service.serve(host: host, port: port, workers: workers) { port in
            FileHandle.standardError.write(Data("Serving on http://\(host):\(port)\n".utf8))
        }
    }
}

/// `impasto worker`.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs from a service's queue in this process, beside `impasto serve`.",
        discussion: "SIGTERM or Ctrl-C gives the running job back to the queue and exits.")

    @OptionGroup public var service: ServiceOptions

    @Flag(help: "Exit when the queue is empty instead of waiting for jobs.")
    public var drain = false

    public init() {}

    public func run() async throws {
        let configuration = try service.configuration()
        let (queue, files) = try ImpastoService.workerQueue(configuration)
        let worker = Worker(number: 0, queue: queue, files: files, configuration: configuration)
        let stop = WorkerSignals(stopping: worker)
        defer { stop.uninstall() }
        let finished = DispatchSemaphore(value: 0)
        let drain = drain
        Thread {
            worker.run(drain: drain)
            finished.signal()
        }.start()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                done.resume()
            }
        }
    }
}

/// SIGTERM and SIGINT stop a worker process gracefully: its running job goes back to the queue. As with
/// `InterruptFlag`, the signals are delivered through dispatch sources, never in signal-handler context.
final class WorkerSignals: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(stopping worker: Worker) {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { worker.stop() }
            source.resume()
            sources.append(source)
        }
    }

    func uninstall() {
        for source in sources { source.cancel() }
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
    }
}
