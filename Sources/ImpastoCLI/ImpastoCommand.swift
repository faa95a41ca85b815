import ArgumentParser
import Foundation
import ImpastoTensor

/// The `impasto` command line: one subcommand per job.
public struct ImpastoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "impasto",
        abstract: "Neural image and video work: style transfer, cutouts, faces, and what a CNN sees.",
        subcommands: [InspectCommand.self, ApplyCommand.self])

    public init() {}

    /// Runs the command line; a failure the user can act on prints one `error:` line and exits with 1.
    public static func runMain() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ImpastoError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch {
            exit(withError: error)
        }
    }
}
