import ArgumentParser

/// The `impasto` command line: one subcommand per job.
public struct ImpastoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "impasto",
        abstract: "Neural image and video work: style transfer, cutouts, faces, and what a CNN sees.",
        subcommands: [StylizeCommand.self, ApplyCommand.self, VideoCommand.self, LiveCommand.self, TrainCommand.self,
                      UpscaleCommand.self, FlickerCommand.self, FacesCommand.self, TrainFacesCommand.self,
                      TrainSegmenterCommand.self, ClassifyCommand.self, ExplainCommand.self, CutoutCommand.self,
                      DreamCommand.self, InvertCommand.self, TextureCommand.self, ExportCommand.self,
                      InspectCommand.self, ModelsCommand.self, ServeCommand.self, WorkerCommand.self])

    public init() {}
}
