// A worker: claims jobs from the queue and runs them one at a time, on a thread of its own (Studio's jobs are
// long, blocking computations that must not occupy the server's event loops or Swift's concurrency pool).
import Foundation
import ImpastoStudio

/// One worker, in the server's process (`serve --workers N`) or its own (`impasto worker`).
public final class Worker: @unchecked Sendable {
    /// Names the worker in leases: host, process and number.
    public let name: String
    private let queue: any JobQueue
    private let execution: JobExecution
    private let configuration: ServerConfiguration
    private let lock = NSLock()
    private var stopping = false
    private var current: JobControl?
    private let wake = DispatchSemaphore(value: 0)

    public init(number: Int, queue: any JobQueue, files: FileStore, configuration: ServerConfiguration) {
        name = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(number)"
        self.queue = queue
        self.configuration = configuration
        execution = JobExecution(queue: queue, files: files, configuration: configuration)
    }

    /// Claims and runs jobs until `stop()`, or with `drain` until the queue is empty. Blocks.
    public func run(drain: Bool = false) {
        while !isStopping {
            let job: ClaimedJob?
            do {
                job = try queue.claim(worker: name, leaseSeconds: configuration.leaseSeconds)
            } catch {
                FileHandle.standardError.write(Data("worker \(name): cannot claim a job: \(error)\n".utf8))
                job = nil
            }
            guard let job else {
                if drain { return }
                _ = wake.wait(timeout: .now() + configuration.pollSeconds)
                continue
            }
            let control = JobControl()
            let stopNow = lock.withLock {
                current = control
                return stopping
            }
            if stopNow { control.cancel() }
            execution.run(job, control: control)
            lock.withLock { current = nil }
        }
    }

    /// Runs `run()` on a new thread; `finished` is signalled when it returns.
    public func start(finished: DispatchSemaphore? = nil) {
        let thread = Thread { [self] in
            run()
            finished?.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Asks the worker to stop: the job it is running stops after its current step and goes back to the queue.
    public func stop() {
        lock.withLock {
            stopping = true
            current?.cancel()
        }
        wake.signal()
    }

    private var isStopping: Bool { lock.withLock { stopping } }
}

/// Several in-process workers, started and stopped together.
public final class WorkerPool: Sendable {
    public let workers: [Worker]
    private let finished = DispatchSemaphore(value: 0)

    public init(count: Int, queue: any JobQueue, files: FileStore, configuration: ServerConfiguration) {
        workers = (0..<count).map { Worker(number: $0, queue: queue, files: files, configuration: configuration) }
    }

    public func start() {
        for worker in workers { worker.start(finished: finished) }
    }

    /// Stops every worker and waits until each has given back or finished its job.
    public func stop() {
        for worker in workers { worker.stop() }
        for _ in workers { finished.wait() }
    }
}
