// What `impasto serve` and `impasto worker` are given: where the data lives and how the queue behaves.
import Foundation
import ImpastoTensor

/// Where the service's tables are.
public enum DatabaseLocation: Sendable, Equatable {
    /// An SQLite file, shared by the server and every worker process on the same machine.
    case sqlite(URL)
    /// A PostgreSQL database: the server's tables and the queue, shared by workers on any machine that reaches it.
    case postgres(PostgresLocation)

    /// Reads `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (`?host=/DIR` for a Unix socket).
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(URL(fileURLWithPath: String(text.dropFirst("sqlite:".count))))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(parsing: text))
        } else {
            throw ImpastoError.invalidArgument("The database '\(text)' is not of the form sqlite:PATH or postgres://USER@HOST/DATABASE.")
        }
    }
}

/// A PostgreSQL server, its database and the account to sign in with.
public struct PostgresLocation: Sendable, Equatable {
    /// The host name or address; nil when `socketFolder` is used.
    public var host: String?
    public var port: Int
    /// The folder of the server's Unix socket (libpq's `?host=/DIR`), instead of a host.
    public var socketFolder: String?
    public var user: String
    public var password: String?
    public var database: String

    public init(host: String?, port: Int = 5432, socketFolder: String? = nil, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.socketFolder = socketFolder
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads a `postgres://` URL: a user and a database are required; the port defaults to 5432.
    public init(parsing text: String) throws {
        let shown = "The database URL '\(Self.redacted(text))'"
        guard let url = URLComponents(string: text) else {
            throw ImpastoError.invalidArgument("\(shown) is not a URL of the form postgres://USER@HOST/DATABASE.")
        }
        let socket = url.queryItems?.first { $0.name == "host" }?.value
        guard let user = url.user, !user.isEmpty else {
            throw ImpastoError.invalidArgument("\(shown) names no user (postgres://USER@HOST/DATABASE).")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw ImpastoError.invalidArgument("\(shown) names no database (postgres://USER@HOST/DATABASE).")
        }
        let host = url.host.flatMap { $0.isEmpty ? nil : $0 }
        guard host != nil || socket?.hasPrefix("/") == true else {
            throw ImpastoError.invalidArgument("\(shown) names no host (postgres://USER@HOST/DATABASE, or ?host=/SOCKET-FOLDER).")
        }
        if let port = url.port, !(1...65535).contains(port) {
            throw ImpastoError.invalidArgument("\(shown) has a port outside 1…65535.")
        }
        self.init(host: socket == nil ? host : nil, port: url.port ?? 5432, socketFolder: socket, user: user,
                  password: url.password, database: database)
    }

    /// The URL with its password replaced by `***`, for messages.
    static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }

    /// Where it is, for messages (never the password).
    public var described: String {
        "postgres://\(user)@\(host ?? "")\(host == nil ? "" : ":\(port)")/\(database)"
            + (socketFolder.map { "?host=\($0)" } ?? "")
    }
}

/// The settings of a server or worker process.
public struct ServerConfiguration: Sendable {
    /// The folder every stored file lives under (`files/`, addressed by id only, and `work/` for running jobs).
    public var data: URL
    /// The tables; `DATA/impasto.sqlite` unless given. With PostgreSQL the files still live under `data`, which
    /// every worker must reach at the same path (a shared mount when workers run on other machines).
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
    /// The most pixels an upload may declare in each tier (never more than `maxUploadPixels`): refused from the
    /// header too. Decoding to check the file takes 3 bytes a pixel, so a free account's largest costs 36 MB.
    public var tierUploadPixels: [ServiceTier: Int] = [.free: 12_000_000, .premium: 24_000_000, .hd: 40_000_000]
    /// Uploads one user may make in a minute.
    public var uploadsPerMinute = 30
    /// Requests one signed-in account may make (the API and pages together): a burst, then a steady rate.
    public var accountRequests = RateLimit(perMinute: 600, burst: 120)
    /// Requests from one client address without an account (the feed, public files, the pages).
    public var addressRequests = RateLimit(perMinute: 600, burst: 120)
    /// Sign-ins and registrations from one client address: each costs a bcrypt hash, and slows password guessing.
    public var signInRequests = RateLimit(perMinute: 10, burst: 10)
    /// bcrypt's cost (2^cost rounds); 12 takes about 0.25 s here.
    public var bcryptCost: UInt8 = 12
    /// The VGG-19 weights of stylize jobs; nil uses the installed ones (`impasto models fetch vgg19`).
    public var vgg19Weights: URL?
    /// MediaPipe's selfie segmenter (`.tflite`) for cutout jobs; nil uses the installed one.
    public var selfieSegmenterWeights: String?
    /// The folder of facenet-pytorch's MTCNN (`pnet.pt`, `rnet.pt`, `onet.pt`) for faces jobs; nil: the installed one.
    public var faceWeights: URL?
    /// torchvision's MobileNetV2 (`.pth`) for explain jobs; nil uses the installed one.
    public var classifierWeights: String?
    /// The tier new accounts get.
    public var defaultTier: ServiceTier = .free

    /// The largest pixel count `tier` may upload.
    public func uploadPixels(for tier: ServiceTier) -> Int {
        min(maxUploadPixels, tierUploadPixels[tier] ?? maxUploadPixels)
    }

    /// No rate limits (load measurements, schemathesis).
    public mutating func removeRateLimits() {
        (accountRequests, addressRequests, signInRequests) = (.unlimited, .unlimited, .unlimited)
    }

    public init(data: URL, database: DatabaseLocation? = nil) {
        self.data = data
        self.database = database ?? .sqlite(data.appendingPathComponent("impasto.sqlite"))
    }
}
