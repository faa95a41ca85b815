// The service's tables behind one seam: accounts and tokens, uploads, jobs as their owners see them, saved filters,
// and the queue workers claim from. Two implementations keep the same rules with the same sentences: SQLiteStore
// (GRDB, one file, the embedded default) and PostgresStore (postgres-nio, for workers on many machines). The HTTP
// routes and the tests see only these protocols.
import Foundation

/// A job as its owner (or, in the feed, anyone) sees it.
public struct JobStatus: Codable, Sendable, Equatable {
    public var id: String
    public var kind: String
    public var tier: String
    public var state: String
    public var progress: Double
    public var detail: String?
    public var attempts: Int
    public var `public`: Bool
    public var created: Double
    public var started: Double?
    public var finished: Double?
    public var error: String?
    /// Files, as ids for `GET /api/files/{id}`.
    public var content: String?
    public var style: String?
    public var model: String?
    public var result: String?
    public var preview: String?
    /// The saved filter the job named instead of a style upload.
    public var filter: String?
    /// In the feed: a public filter of this job's style, for "use this style".
    public var styleFilter: String?
    /// 1 for the next job to run; nil unless queued.
    public var queuePosition: Int?
    /// Seconds until the result, from measured speeds; nil when nothing has been measured yet.
    public var etaSeconds: Double?
    /// faces: the faces found, in the result's pixels.
    public var faces: [JobFindings.Face]?
    /// explain: what was explained ("class 285 (Egyptian cat), p = 0.720").
    public var target: String?
}

/// What a job found besides its picture, stored with it as JSON.
public struct JobFindings: Codable, Sendable, Equatable {
    public var faces: [Face]?
    public var target: String?

    public struct Face: Codable, Sendable, Equatable {
        /// x1, y1, x2, y2.
        public var box: [Float]
        public var probability: Float
        /// (x, y) of each landmark: MTCNN's eyes, nose and mouth corners.
        public var landmarks: [[Float]]
    }

    public init(faces: [Face]? = nil, target: String? = nil) {
        self.faces = faces
        self.target = target
    }

    /// As stored in the jobs table.
    public var json: String { String(decoding: try! JSONEncoder().encode(self), as: UTF8.self) }
}

/// A job's row as both stores read it, before the queue position and ETA are added.
struct JobRow: Sendable {
    var status: JobStatus
    var priority: Int

    init(id: String, kind: String, tier: String, state: String, progress: Double, detail: String?, attempts: Int,
         isPublic: Bool, created: Double, started: Double?, finished: Double?, error: String?, content: String?,
         style: String?, result: String?, preview: String?, params: String, findings: String?, priority: Int,
         styleFilter: String?) {
        let parameters = try? JobParameters(json: params)
        status = JobStatus(id: id, kind: kind, tier: tier, state: state, progress: progress, detail: detail, attempts: attempts,
                           public: isPublic, created: created, started: started, finished: finished, error: error,
                           content: content, style: style, model: parameters?.model, result: result, preview: preview,
                           filter: parameters?.filter, styleFilter: styleFilter)
        if let findings, let found = try? JSONDecoder().decode(JobFindings.self, from: Data(findings.utf8)) {
            (status.faces, status.target) = (found.faces, found.target)
        }
        self.priority = priority
    }

    /// The status with its place in the queue and ETA: `ahead` queued jobs run before it, `running` jobs run now, and
    /// `meanSeconds` is what the last finished jobs of its kind took.
    func completed(ahead: Int?, running: Int?, meanSeconds: Double?) -> JobStatus {
        var status = status
        switch status.state {
        case "queued":
            let ahead = ahead ?? 0
            status.queuePosition = ahead + 1
            if let meanSeconds {
                // Jobs ahead run one after another on each worker now running, at the speed measured lately.
                status.etaSeconds = meanSeconds * Double(ahead / max(running ?? 0, 1) + 1)
            }
        case "running":
            if let started = status.started, status.progress > 0 {
                status.etaSeconds = (ServerDatabase.now() - started) * (1 - status.progress) / status.progress
            }
        default: break
        }
        return status
    }
}

/// Too many of the owner's jobs are queued or running for their tier.
public struct JobQuotaExceeded: Error, Sendable {
    public let limit: Int
}

/// The jobs table as the HTTP API uses it.
public protocol JobRecords: Sendable {
    /// Queues a job for `owner`; throws JobQuotaExceeded when `activeLimit` of the owner's jobs are already queued
    /// or running (checked and inserted in one transaction).
    func create(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public: Bool, activeLimit: Int?) async throws -> String
    /// The job, when `owner` owns it (nil otherwise: another user's job does not exist for them).
    func status(_ id: String, owner: Int64) async throws -> JobStatus?
    /// The owner's jobs, newest first.
    func list(owner: Int64, limit: Int) async throws -> [JobStatus]
    /// Public finished jobs, newest first: the feed.
    func feed(limit: Int) async throws -> [JobStatus]
    /// Cancels the owner's job: a queued one at once, a running one at its worker's next lease renewal. False when
    /// the owner has no such job.
    func cancel(_ id: String, owner: Int64) async throws -> Bool
    /// Deletes the owner's job and returns the ids of the files only it used (its result and preview), nil when the
    /// owner has no such job. A worker running it loses its lease and keeps nothing.
    func delete(_ id: String, owner: Int64) async throws -> [String]?
    /// Shows or hides the owner's job in the feed; false when the owner has no such job.
    func setPublic(_ id: String, owner: Int64, _ isPublic: Bool) async throws -> Bool
}

extension JobRecords {
    func create(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public isPublic: Bool) async throws -> String {
        try await create(owner: owner, kind: kind, params: params, tier: tier, public: isPublic, activeLimit: nil)
    }

    func list(owner: Int64) async throws -> [JobStatus] { try await list(owner: owner, limit: 100) }
    func feed() async throws -> [JobStatus] { try await feed(limit: 50) }
}

/// Uploaded images: stored under ids, recorded with their owner.
public protocol Uploads: Sendable {
    /// Records an upload that has been decoded; `name` is kept for display only.
    func record(id: String, owner: Int64, name: String?, width: Int, height: Int, bytes: Int) async throws
    /// Uploads by `owner` in the last `seconds`.
    func recentCount(owner: Int64, seconds: Double) async throws -> Int
    /// Whether `owner` uploaded `id`.
    func owns(_ id: String, owner: Int64) async throws -> Bool
    /// The size of `owner`'s upload `id`, nil when they have no such upload.
    func dimensions(_ id: String, owner: Int64) async throws -> (width: Int, height: Int)?
    /// Whether `viewer` (nil: nobody signed in) may read the file `id`: their own upload or job's file, the style of
    /// a filter they may use, or an input or result of a public finished job.
    func mayRead(_ id: String, viewer: Int64?) async throws -> Bool
}

/// Users and their tokens as stored; Accounts holds the rules (bcrypt, token hashing, expiry).
public protocol AccountRecords: Sendable {
    /// Adds a user; nil when the name is taken.
    func insertUser(name: String, passwordHash: String, tier: ServiceTier) async throws -> Account?
    /// The user of this name and its password hash.
    func passwordRecord(name: String) async throws -> (account: Account, hash: String)?
    func insertToken(hash: String, user: Int64, kind: String, created: Double, expires: Double?) async throws
    /// The account of the token with this hash, unless it expired before `now`.
    func account(tokenHash: String, now: Double) async throws -> Account?
    func deleteToken(hash: String) async throws
}

/// A style saved under a name, to be used again instead of a style upload.
public struct SavedFilter: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// The style image's file id.
    public var style: String
    public var `public`: Bool
    /// The owner's name.
    public var owner: String
    /// Whether the viewer owns it (and so may delete it).
    public var mine: Bool
    public var created: Double
}

/// What deleting a filter found.
public enum FilterDeletion: Sendable, Equatable {
    case deleted
    /// Another user's public filter: it can be seen and used, not deleted.
    case notOwner
    /// No filter the user may see has this id.
    case missing
}

/// Saved filters.
public protocol FilterRecords: Sendable {
    func createFilter(owner: Int64, name: String, style: String, public: Bool) async throws -> SavedFilter
    /// The viewer's own filters and everyone's public ones, newest first.
    func filters(viewer: Int64?) async throws -> [SavedFilter]
    /// The filter, when the viewer owns it or it is public.
    func filter(_ id: String, viewer: Int64?) async throws -> SavedFilter?
    func deleteFilter(_ id: String, owner: Int64) async throws -> FilterDeletion
    /// The style file of the owner's finished job `id` (the style of one of their results), nil when there is none.
    func styleOfFinishedJob(_ id: String, owner: Int64) async throws -> String?
}

/// Everything the service keeps in its database, and the queue its workers claim from.
public protocol ServiceStore: AccountRecords, JobRecords, Uploads, FilterRecords {
    var queue: any JobQueue { get }
}

/// Opens the store `location` names: the SQLite file or the PostgreSQL database, migrated.
func openStore(_ configuration: ServerConfiguration) throws -> any ServiceStore {
    switch configuration.database {
    case .sqlite:
        return try SQLiteStore(try ServerDatabase(configuration.database), maxAttempts: configuration.maxAttempts)
    case let .postgres(location):
        return try PostgresStore(location, maxAttempts: configuration.maxAttempts)
    }
}
