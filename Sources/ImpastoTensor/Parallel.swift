internal import CDNNL

/// Splits `0..<count` into one contiguous chunk per core and runs `body` on each, in parallel when the
/// work is large enough to pay for waking another thread.
///
/// `grain` is the smallest chunk worth a thread of its own (in loop iterations).
///
/// The chunks run on OpenMP's threads, the ones oneDNN's primitives run on. After a primitive, libgomp's
/// workers spin for a few milliseconds waiting for the next parallel region; a second pool (Dispatch's)
/// would compete with them for the same cores, and on this 2-core machine that cost an iteration of style
/// transfer about a tenth of its time. Sharing the pool turns that spinning into a fast start instead.
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let workers = min(Parallelism.threads, max(1, count / max(grain, 1)))
    if workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    Parallelism.run(count: count, workers: workers, body)
}

/// How many threads the engine's own loops use, and how they are started.
enum Parallelism {
    /// OpenMP's team size (the core count, or `OMP_NUM_THREADS`), which oneDNN uses too.
    static let threads = max(1, Int(omp_get_max_threads()))

    /// What a team's threads need: the loop and its split.
    private struct Job {
        let body: (Range<Int>) -> Void
        let count: Int, chunk: Int
    }

    /// Runs `body` over `workers` disjoint chunks of `0..<count` on an OpenMP team of up to `workers`
    /// threads (the caller is thread 0). The team can be smaller than asked (one thread inside another
    /// team's region, or a thread limit), so each thread takes every team-size-th chunk from its own.
    static func run(count: Int, workers: Int, _ body: (Range<Int>) -> Void) {
        // The chunks are disjoint, so `body` may safely write through captured buffers from every thread;
        // `GOMP_parallel` returns only when all of them are done, so `body` does not escape.
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body, count: count, chunk: (count + workers - 1) / workers)
            withUnsafeMutablePointer(to: &job) { job in
                GOMP_parallel({ context in
                    let job = context!.assumingMemoryBound(to: Job.self).pointee
                    let chunks = (job.count + job.chunk - 1) / job.chunk
                    for chunk in stride(from: Int(omp_get_thread_num()), to: chunks, by: Int(omp_get_num_threads())) {
                        job.body(chunk * job.chunk..<min(job.count, (chunk + 1) * job.chunk))
                    }
                }, job, UInt32(workers), 0)
            }
        }
    }
}
