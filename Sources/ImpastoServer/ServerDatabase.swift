// The service's tables in one SQLite file (WAL), opened the same way by the server and every worker process.
import Foundation
import GRDB
import ImpastoTensor

/// The open database: GRDB's pool (one writer, concurrent readers) over the file, migrated on open.
public final class ServerDatabase: Sendable {
    let pool: DatabasePool

    /// Opens (creating when missing) and migrates the database at `location`.
    public init(_ location: DatabaseLocation) throws {
        guard case let .sqlite(url) = location else {
            throw ImpastoError.invalidArgument(
                "`impasto serve` keeps its accounts and uploads in SQLite only so far; PostgreSQL databases are for `impasto worker`.")
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
        // What a faces or explain job found, as JSON (JobFindings).
        migrator.registerMigration("v2 findings") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN findings TEXT")
        }
        return migrator
    }
}
