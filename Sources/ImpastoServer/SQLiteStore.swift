// The service's tables in one SQLite file (WAL), opened the same way by the server and every worker process: the
// embedded store (GRDB), one command on a laptop.
import Foundation
import GRDB
import ImpastoTensor

/// The open database: GRDB's pool (one writer, concurrent readers) over the file, migrated on open.
public final class ServerDatabase: Sendable {
    let pool: DatabasePool

    /// Opens (creating when missing) and migrates the database at `location`.
    public init(_ location: DatabaseLocation) throws {
        guard case let .sqlite(url) = location else {
            throw ImpastoError.invalidArgument("ServerDatabase opens SQLite files; PostgreSQL is PostgresDatabase's.")
        }
        var configuration = Configuration()
        // Workers in other processes write too: wait for their transactions instead of failing at once.
        configuration.busyMode = .timeout(15)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA foreign_keys = ON") }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            pool = try DatabasePool(path: url.path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw ImpastoError.unreadableFile(path: url.path, reason: "it cannot be opened as the service's database (\(error))")
        }
    }

    /// Seconds since 1970: the one clock every process compares leases with.
    static func now() -> Double { Date().timeIntervalSince1970 }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    tier TEXT NOT NULL,
                    created REAL NOT NULL);
                -- Sessions (cookies) and API tokens; only the SHA-256 of a token is kept.
                CREATE TABLE tokens (
                    hash TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    created REAL NOT NULL,
                    expires REAL);
                -- Files under DATA/files, named by id: uploads, results and previews.
                CREATE TABLE files (
                    id TEXT PRIMARY KEY,
                    owner INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    name TEXT,
                    width INTEGER,
                    height INTEGER,
                    bytes INTEGER NOT NULL,
                    created REAL NOT NULL);
                CREATE INDEX files_uploads ON files(owner, kind, created);
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    owner INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL,
                    params TEXT NOT NULL,
                    tier TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    progress REAL NOT NULL DEFAULT 0,
                    detail TEXT,
                    lease_owner TEXT,
                    lease_expires REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    completions INTEGER NOT NULL DEFAULT 0,
                    cancel_requested INTEGER NOT NULL DEFAULT 0,
                    created REAL NOT NULL,
                    started REAL,
                    finished REAL,
                    content_file TEXT,
                    style_file TEXT,
                    result_file TEXT,
                    preview_file TEXT,
                    error TEXT,
                    public INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX jobs_queue ON jobs(state, priority DESC, created);
                CREATE INDEX jobs_owner ON jobs(owner, created);
                """)
        }
        migrator.registerMigration("v2 filters") { db in
            try db.execute(sql: """
                -- Saved styles: a name for a style file, the owner's alone or public.
                CREATE TABLE filters (
                    id TEXT PRIMARY KEY,
                    owner INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    style_file TEXT NOT NULL,
                    public INTEGER NOT NULL DEFAULT 0,
                    created REAL NOT NULL);
                CREATE INDEX filters_owner ON filters(owner, created);
                CREATE INDEX filters_style ON filters(style_file);
                """)
        }
        // What a faces or explain job found, as JSON (JobFindings). Both names start with v2 because two branches
        // added them side by side; databases made by either already record their own, so neither is renamed.
        migrator.registerMigration("v2 findings") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN findings TEXT")
        }
        return migrator
    }
}

/// The service's store in the SQLite file.
struct SQLiteStore: ServiceStore {
    let database: ServerDatabase
    let queue: any JobQueue

    init(_ database: ServerDatabase, maxAttempts: Int) throws {
        self.database = database
        queue = SQLiteJobQueue(database: database, maxAttempts: maxAttempts)
    }

    // MARK: Accounts

    func insertUser(name: String, passwordHash: String, tier: ServiceTier) async throws -> Account? {
        try await database.pool.write { db in
            guard try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE name = ?", arguments: [name]) == nil else { return nil }
            try db.execute(sql: "INSERT INTO users (name, password_hash, tier, created) VALUES (?, ?, ?, ?)",
                           arguments: [name, passwordHash, tier.rawValue, ServerDatabase.now()])
            return Account(id: db.lastInsertedRowID, name: name, tier: tier)
        }
    }

    // Every read closure here returns Sendable values, never a Row: with a Row Swift picks GRDB's blocking read,
    // and under concurrent requests the blocked cooperative threads starved the awaiting reads until the server hung
    // (found by scripts/measure_serve_load.sh; APITests sends 200 status requests at once).

    func passwordRecord(name: String) async throws -> (account: Account, hash: String)? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, tier, password_hash FROM users WHERE name = ?", arguments: [name])
                .map { (account: Self.account($0), hash: $0["password_hash"] as String) }
        }
    }

    func insertToken(hash: String, user: Int64, kind: String, created: Double, expires: Double?) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO tokens (hash, user_id, kind, created, expires) VALUES (?, ?, ?, ?, ?)",
                           arguments: [hash, user, kind, created, expires])
        }
    }

    func account(tokenHash: String, now: Double) async throws -> Account? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT users.id, users.name, users.tier FROM tokens JOIN users ON users.id = tokens.user_id
                WHERE tokens.hash = ? AND (tokens.expires IS NULL OR tokens.expires > ?)
                """, arguments: [tokenHash, now]).map(Self.account)
        }
    }

    /// The account of a row of `users` (id, name, tier).
    private static func account(_ row: Row) -> Account {
        Account(id: row["id"], name: row["name"], tier: ServiceTier(rawValue: row["tier"]) ?? .free)
    }

    func deleteToken(hash: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM tokens WHERE hash = ?", arguments: [hash])
        }
    }

    // MARK: Jobs

    func create(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public isPublic: Bool,
                activeLimit: Int?) async throws -> String {
        let id = FileStore.newID()
        try await database.pool.write { db in
            if let activeLimit {
                let active = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE owner = ? AND state IN ('queued', 'running')",
                                              arguments: [owner]) ?? 0
                guard active < activeLimit else { throw JobQuotaExceeded(limit: activeLimit) }
            }
            try db.execute(sql: """
                INSERT INTO jobs (id, owner, kind, params, tier, priority, state, created, content_file, style_file, public)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                """, arguments: [id, owner, kind.rawValue, params.json, tier.rawValue, tier.priority, ServerDatabase.now(),
                                 params.content, params.style, isPublic])
        }
        return id
    }

    func status(_ id: String, owner: Int64) async throws -> JobStatus? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ? AND owner = ?", arguments: [id, owner])
                .map { try Self.status($0, db) }
        }
    }

    func list(owner: Int64, limit: Int) async throws -> [JobStatus] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs WHERE owner = ? ORDER BY created DESC LIMIT ?",
                             arguments: [owner, limit]).map { try Self.status($0, db) }
        }
    }

    func feed(limit: Int) async throws -> [JobStatus] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT jobs.*, (SELECT id FROM filters WHERE filters.style_file = jobs.style_file AND filters.public = 1
                                ORDER BY created LIMIT 1) AS style_filter
                FROM jobs WHERE public = 1 AND state = 'done' ORDER BY finished DESC LIMIT ?
                """, arguments: [limit]).map { try Self.status($0, db) }
        }
    }

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

    func delete(_ id: String, owner: Int64) async throws -> [String]? {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT result_file, preview_file FROM jobs WHERE id = ? AND owner = ?",
                                             arguments: [id, owner]) else { return nil }
            try db.execute(sql: "DELETE FROM jobs WHERE id = ?", arguments: [id])
            return [row["result_file"], row["preview_file"]].compactMap { $0 }
        }
    }

    func setPublic(_ id: String, owner: Int64, _ isPublic: Bool) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE jobs SET public = ? WHERE id = ? AND owner = ?", arguments: [isPublic, id, owner])
            return db.changesCount == 1
        }
    }

    static func status(_ row: Row, _ db: Database) throws -> JobStatus {
        let job = JobRow(id: row["id"], kind: row["kind"], tier: row["tier"], state: row["state"], progress: row["progress"],
                         detail: row["detail"], attempts: row["attempts"], isPublic: row["public"], created: row["created"],
                         started: row["started"], finished: row["finished"], error: row["error"], content: row["content_file"],
                         style: row["style_file"], result: row["result_file"], preview: row["preview_file"],
                         params: row["params"], findings: row["findings"], priority: row["priority"],
                         styleFilter: row.hasColumn("style_filter") ? row["style_filter"] : nil)
        guard job.status.state == "queued" else { return job.completed(ahead: nil, running: nil, meanSeconds: nil) }
        let ahead = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND (priority > ? OR (priority = ? AND created < ?))
            """, arguments: [job.priority, job.priority, job.status.created])
        let running = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE state = 'running'")
        // Mean seconds of the last 20 finished jobs of its kind.
        let mean = try Double.fetchOne(db, sql: """
            SELECT AVG(finished - started) FROM (SELECT finished, started FROM jobs WHERE kind = ? AND state = 'done'
            ORDER BY finished DESC LIMIT 20)
            """, arguments: [job.status.kind])
        return job.completed(ahead: ahead, running: running, meanSeconds: mean)
    }

    // MARK: Uploads

    func record(id: String, owner: Int64, name: String?, width: Int, height: Int, bytes: Int) async throws {
        try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO files (id, owner, kind, name, width, height, bytes, created) VALUES (?, ?, 'upload', ?, ?, ?, ?, ?)
                """, arguments: [id, owner, name, width, height, bytes, ServerDatabase.now()])
        }
    }

    func recentCount(owner: Int64, seconds: Double) async throws -> Int {
        try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files WHERE owner = ? AND kind = 'upload' AND created > ?",
                             arguments: [owner, ServerDatabase.now() - seconds]) ?? 0
        }
    }

    func owns(_ id: String, owner: Int64) async throws -> Bool {
        try await database.pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM files WHERE id = ? AND owner = ? AND kind = 'upload'",
                              arguments: [id, owner]) != nil
        }
    }

    func dimensions(_ id: String, owner: Int64) async throws -> (width: Int, height: Int)? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT width, height FROM files WHERE id = ? AND owner = ? AND kind = 'upload'",
                             arguments: [id, owner]).map { (width: $0["width"] as Int, height: $0["height"] as Int) }
        }
    }

    func mayRead(_ id: String, viewer: Int64?) async throws -> Bool {
        try await database.pool.read { db in
            let usedBy = "(content_file = :id OR style_file = :id OR result_file = :id OR preview_file = :id)"
            if let viewer {
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM files WHERE id = :id AND owner = :viewer",
                                     arguments: ["id": id, "viewer": viewer]) != nil { return true }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE owner = :viewer AND \(usedBy)",
                                     arguments: ["id": id, "viewer": viewer]) != nil { return true }
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM filters WHERE style_file = :id AND (public = 1 OR owner = :viewer)",
                                 arguments: ["id": id, "viewer": viewer ?? -1]) != nil { return true }
            return try Bool.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE public = 1 AND state = 'done' AND \(usedBy)",
                                     arguments: ["id": id]) != nil
        }
    }

    // MARK: Filters

    static let filterColumns = """
        filters.id, filters.name, filters.style_file, filters.public, filters.created, filters.owner, users.name AS owner_name
        FROM filters JOIN users ON users.id = filters.owner
        """

    static func filter(_ row: Row, viewer: Int64?) -> SavedFilter {
        SavedFilter(id: row["id"], name: row["name"], style: row["style_file"], public: row["public"], owner: row["owner_name"],
                    mine: (row["owner"] as Int64) == viewer, created: row["created"])
    }

    func createFilter(owner: Int64, name: String, style: String, public isPublic: Bool) async throws -> SavedFilter {
        let id = FileStore.newID()
        return try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO filters (id, owner, name, style_file, public, created) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, owner, name, style, isPublic, ServerDatabase.now()])
            let row = try Row.fetchOne(db, sql: "SELECT \(Self.filterColumns) WHERE filters.id = ?", arguments: [id])!
            return Self.filter(row, viewer: owner)
        }
    }

    func filters(viewer: Int64?) async throws -> [SavedFilter] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.filterColumns) WHERE filters.public = 1 OR filters.owner = ? ORDER BY filters.created DESC LIMIT 200
                """, arguments: [viewer ?? -1]).map { Self.filter($0, viewer: viewer) }
        }
    }

    func filter(_ id: String, viewer: Int64?) async throws -> SavedFilter? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.filterColumns) WHERE filters.id = ? AND (filters.public = 1 OR filters.owner = ?)",
                             arguments: [id, viewer ?? -1]).map { Self.filter($0, viewer: viewer) }
        }
    }

    func deleteFilter(_ id: String, owner: Int64) async throws -> FilterDeletion {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM filters WHERE id = ? AND owner = ?", arguments: [id, owner])
            if db.changesCount == 1 { return .deleted }
            return try Bool.fetchOne(db, sql: "SELECT 1 FROM filters WHERE id = ? AND public = 1", arguments: [id]) != nil
                ? .notOwner : .missing
        }
    }

    func styleOfFinishedJob(_ id: String, owner: Int64) async throws -> String? {
        try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT style_file FROM jobs WHERE id = ? AND owner = ? AND state = 'done'",
                                arguments: [id, owner])
        }
    }
}
