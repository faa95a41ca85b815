// The service's side of the jobs table: creating, reading and changing jobs for their owners, the queue
// position and ETA, and the public feed.
import Foundation
import GRDB

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

/// The jobs table as the HTTP API uses it.
public struct JobRecords: Sendable {
    let database: ServerDatabase

    /// Queues a job for `owner`.
    func create(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public isPublic: Bool) async throws -> String {
        let id = FileStore.newID()
        try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO jobs (id, owner, kind, params, tier, priority, state, created, content_file, style_file, public)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                """, arguments: [id, owner, kind.rawValue, params.json, tier.rawValue, tier.priority, ServerDatabase.now(),
                                 params.content, params.style, isPublic])
        }
        return id
    }

    /// The job, when `owner` owns it (nil otherwise: another user's job does not exist for them).
    public func status(_ id: String, owner: Int64) async throws -> JobStatus? {
        try await database.pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ? AND owner = ?", arguments: [id, owner])
            else { return nil }
            return try Self.status(row, db)
        }
    }

    /// The owner's jobs, newest first.
    func list(owner: Int64, limit: Int = 100) async throws -> [JobStatus] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE owner = ? ORDER BY created DESC LIMIT ?",
                             arguments: [owner, limit]).map { try Self.status($0, db) }
        }
    }

    /// Public finished jobs, newest first: the feed.
    func feed(limit: Int = 50) async throws -> [JobStatus] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE public = 1 AND state = 'done' ORDER BY finished DESC LIMIT ?",
                             arguments: [limit]).map { try Self.status($0, db) }
        }
    }

    /// Cancels the owner's job: a queued one at once, a running one at its worker's next lease renewal. False when
    /// the owner has no such job.
    func cancel(_ id: String, owner: Int64) async throws -> Bool {
        try await database.pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE id = ? AND owner = ?", arguments: [id, owner]) != nil
            else { return false }
            try db.execute(sql: "UPDATE jobs SET state = 'cancelled', finished = ? WHERE id = ? AND state = 'queued'",
                           arguments: [ServerDatabase.now(), id])
            try db.execute(sql: "UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND state = 'running'", arguments: [id])
            return true
        }
    }

    /// Deletes the owner's job and returns the ids of the files only it used (its result and preview), nil when the
    /// owner has no such job. A worker running it loses its lease and keeps nothing.
    func delete(_ id: String, owner: Int64) async throws -> [String]? {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT result_file, preview_file FROM jobs WHERE id = ? AND owner = ?",
                                             arguments: [id, owner]) else { return nil }
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
            return [row["result_file"], row["preview_file"]].compactMap { $0 }
        }
    }

    /// Shows or hides the owner's job in the feed; false when the owner has no such job.
    func setPublic(_ id: String, owner: Int64, _ isPublic: Bool) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE jobs SET public = ? WHERE id = ? AND owner = ?", arguments: [isPublic, id, owner])
            return db.changesCount == 1
        }
    }

    static func status(_ row: Row, _ db: Database) throws -> JobStatus {
        let params = try? JobParameters(json: row["params"])
        var status = JobStatus(
            id: row["id"], kind: row["kind"], tier: row["tier"], state: row["state"], progress: row["progress"],
            detail: row["detail"], attempts: row["attempts"], public: row["public"], created: row["created"],
            started: row["started"], finished: row["finished"], error: row["error"], content: row["content_file"],
            style: row["style_file"], model: params?.model, result: row["result_file"], preview: row["preview_file"])
        if let json: String = row["findings"], let findings = try? JSONDecoder().decode(JobFindings.self, from: Data(json.utf8)) {
            (status.faces, status.target) = (findings.faces, findings.target)
        }
        switch status.state {
        case "queued":
            let ahead = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (priority > ? OR (priority = ? AND created < ?))
                """, arguments: [row["priority"] as Int, row["priority"] as Int, status.created]) ?? 0
            status.queuePosition = ahead + 1
            if let mean = try meanSeconds(db, kind: status.kind) {
                // Jobs ahead run one after another on each worker now running, at the speed measured lately.
                let running = max(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'running'") ?? 0, 1)
                status.etaSeconds = mean * Double(ahead / running + 1)
            }
        case "running":
            if let started = status.started, status.progress > 0 {
                status.etaSeconds = (ServerDatabase.now() - started) * (1 - status.progress) / status.progress
            }
        default: break
        }
        return status
    }

    /// Mean seconds of the last 20 finished jobs of `kind`.
    static func meanSeconds(_ db: Database, kind: String) throws -> Double? {
        try Double.fetchOne(db, sql: """
            SELECT AVG(finished - started) FROM (SELECT finished, started FROM jobs WHERE kind = ? AND state = 'done'
            ORDER BY finished DESC LIMIT 20)
            """, arguments: [kind])
    }
}

/// Uploaded images: stored under ids, recorded with their owner.
public struct Uploads: Sendable {
    let database: ServerDatabase
    let files: FileStore

    /// Records an upload that has been decoded; `name` is kept for display only.
    func record(id: String, owner: Int64, name: String?, width: Int, height: Int, bytes: Int) async throws {
        try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO files (id, owner, kind, name, width, height, bytes, created) VALUES (?, ?, 'upload', ?, ?, ?, ?, ?)
                """, arguments: [id, owner, name, width, height, bytes, ServerDatabase.now()])
        }
    }

    /// Uploads by `owner` in the last `seconds`.
    func recentCount(owner: Int64, seconds: Double) async throws -> Int {
        try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files WHERE owner = ? AND kind = 'upload' AND created > ?",
                             arguments: [owner, ServerDatabase.now() - seconds]) ?? 0
        }
    }

    /// Whether `owner` uploaded `id`.
    func owns(_ id: String, owner: Int64) async throws -> Bool {
        try await database.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM files WHERE id = ? AND owner = ? AND kind = 'upload'",
                              arguments: [id, owner]) != nil
        }
    }

    /// Whether `viewer` (nil: nobody signed in) may read the file `id`: their own upload or job's file, or an input
    /// or result of a public finished job.
    func mayRead(_ id: String, viewer: Int64?) async throws -> Bool {
        try await database.pool.read { db in
            let usedBy = "(content_file = :id OR style_file = :id OR result_file = :id OR preview_file = :id)"
            if let viewer {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM files WHERE id = :id AND owner = :viewer",
                                     arguments: ["id": id, "viewer": viewer]) != nil { return true }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE owner = :viewer AND \(usedBy)",
                                     arguments: ["id": id, "viewer": viewer]) != nil { return true }
            }
            return try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE public = 1 AND state = 'done' AND \(usedBy)",
                                     arguments: ["id": id]) != nil
        }
    }
}
