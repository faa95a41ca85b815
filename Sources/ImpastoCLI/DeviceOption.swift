import ArgumentParser
import ImpastoTensor

/// `--device cpu|cuda[:N]`, for the commands whose job runs on the tensor engine (stylize, apply, video, train):
/// parsed here, checked and used by the job.
struct DeviceOption: ParsableArguments {
    @Option(help: ArgumentHelp("Where the networks run: cpu, or cuda for an NVIDIA GPU (cuda:N for GPU N; the CUDA "
                               + "libraries are found at run time, see the README's CUDA section).",
                               valueName: "device"))
    var device: Device = .cpu
}

extension Device: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}
