import Dispatch
import Foundation

/// Splits `0..<count` into one contiguous chunk per core and runs `body` on each, in parallel when the
/// work is large enough to pay for waking another thread.
///
/// `grain` is the smallest chunk worth a thread of its own (in loop iterations).
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let workers = min(Parallelism.threads, max(1, count / max(grain, 1)))
    if workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let chunk = (count + workers - 1) / workers
    // The chunks are disjoint, so `body` may safely write through captured buffers from every worker.
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let start = worker * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}

/// How many threads the engine's own loops use.
enum Parallelism {
    static let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
}
