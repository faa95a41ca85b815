import Foundation
import ImpastoMedia
import ImpastoStudio
import Testing

/// Seconds per iteration of the default job (L-BFGS, neural-style's layers and weights) on the bundled example
/// images, beside which scripts/make_stylize_reference.py --bench times PyTorch. Not a test: it asserts nothing
/// and runs only when asked, in a release build:
///
///     IMPASTO_BENCH_STYLIZE=1 swift test -c release -Xswiftc -enable-testing --filter stylizeSecondsPerIteration
///
/// (`-enable-testing` because other test targets use `@testable import`).
@Test(.enabled(if: ProcessInfo.processInfo.environment["IMPASTO_BENCH_STYLIZE"] != nil))
func stylizeSecondsPerIteration() throws {
    let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples/images").standardized
    let content = try Image(contentsOf: examples.appendingPathComponent("tubingen.jpg"))
    let style = try Image(contentsOf: examples.appendingPathComponent("starry_night.jpg"))
    for size in [256, 512] {
        for precision in Precision.allCases {
            var options = StylizeOptions()
            options.size = size
            options.iterations = 12
            options.initialization = .content
            options.precision = precision
            var start = (Date(), processorSeconds())
            let result = try stylizer.run(content: content, styles: [style], options: options) { progress in
                if progress.iteration == 2 { start = (Date(), processorSeconds()) }  // the first builds oneDNN's kernels
                return .proceed
            }
            let seconds = Date().timeIntervalSince(start.0) / 10, cpu = (processorSeconds() - start.1) / 10
            var load = [0.0]
            getloadavg(&load, 1)
            print("impasto \(size)px \(precision): " + String(format: "%.3f s/iteration, %.3f CPU s/iteration ", seconds, cpu)
                  + String(format: "(load average %.1f), final loss %g", load[0], result.losses.total))
        }
    }
}

/// CPU time this process has used, all threads together: under other load it grows much less than wall time.
private func processorSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

