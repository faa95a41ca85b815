// What `impasto serve` and `impasto worker` are given: where the data lives and how the queue behaves.
import Foundation
import ImpastoTensor

/// Where the service's tables are.
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite file, shared by the server and every worker process on the same machine.
    case sqlite(URL)

    /// Reads `sqlite:PATH`; PostgreSQL (`postgres://…`) is named in the sentence as not built yet.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(URL(fileURLWithPath: String(text.dropFirst("sqlite:".count))))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            throw ImpastoError.invalidArgument("PostgreSQL databases are not supported yet; use --database sqlite:PATH.")
        } else {
            throw ImpastoError.invalidArgument("The database '\(text)' is not of the form sqlite:PATH.")
        }
    }
}

/// The settings of a server or worker process.
public struct ServerConfiguration: Sendable {
    /// The folder every stored file lives under (`files/`, addressed by id only, and `work/` for running jobs).
    public var data: URL
    /// The tables; `DATA/impasto.sqlite` unless given.
    public var database: DatabaseLocation
    /// Seconds a claimed job stays a worker's without a renewal; a killed worker's job is requeued after it.
    public var leaseSeconds: Double = 30
    /// Seconds an idle worker waits before asking for a job again.
    public var pollSeconds: Double = 1
    /// A preview image every this many iterations of a stylize job.
    public var previewEvery = 10
    /// How often a job may be claimed (its workers died or stopped) before it fails.
    public var maxAttempts = 3
    /// The largest upload, in bytes.
    public var maxUploadBytes = 20 << 20
    /// The most pixels an upload may declare: refused from its header, before anything is decoded (the largest
    /// tier paints 1200 px, so 40 megapixels leaves any camera's photo room).
    public var maxUploadPixels = 40_000_000
    /// Uploads one user may make in a minute.
    public var uploadsPerMinute = 30
    /// bcrypt's cost (2^cost rounds); 12 takes about 0.25 s here.
    public var bcryptCost: UInt8 = 12
    /// The VGG-19 weights of stylize jobs; nil uses the installed ones (`impasto models fetch vgg19`).
    public var vgg19Weights: URL?
    /// The tier new accounts get.
    public var defaultTier: ServiceTier = .free

    public init(data: URL, database: DatabaseLocation? = nil) {
        self.data = data
        self.database = database ?? .sqlite(data.appendingPathComponent("impasto.sqlite"))
    }
}
