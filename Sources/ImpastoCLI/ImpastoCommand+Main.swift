// The process entry point: every failure becomes one line on standard error.
import ArgumentParser
import Foundation

extension ImpastoCommand {
    /// Parses the arguments and runs the chosen subcommand. Help and `--version` print as usual; any failure
    /// (a rejected option, a `validate()` sentence, an error a job throws) prints exactly one line,
    /// `error: <sentence>`, on standard error and exits non-zero: 64 for usage errors, 1 otherwise.
    /// (Not named `main`: top-level code would pick ArgumentParser's synchronous `main()` over it, and that
    /// one refuses to run an async root command on Linux.)
    public static func runFromCommandLine() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }
            let sentence = message(for: error)
                .split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
                .joined(separator: " ")
            if !sentence.isEmpty { FileHandle.standardError.write(Data("error: \(sentence)\n".utf8)) }
            Foundation.exit(code.rawValue)
        }
    }
}
