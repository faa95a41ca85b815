// The service's tables in PostgreSQL (postgres-nio), for workers on many machines: the same tables as the SQLite
// file (ServerDatabase), migrated the same way at startup, one step at a time.
//
// The queue's protocol is synchronous and called from each worker's own thread, so this holds one connection and
// waits on its futures there; a lock keeps one transaction at a time on it (workers in one process take turns; each
// process has its own connection, and PostgreSQL's row locks serialise the processes).
import Foundation
import ImpastoTensor
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// An open PostgreSQL database with the service's tables.
public final class PostgresDatabase: @unchecked Sendable {
    public let location: PostgresLocation
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private let logger = Logger(label: "impasto.postgres")

    /// Connects and migrates; one sentence naming the server when either fails.
    public init(_ location: PostgresLocation) throws {
        self.location = location
        do {
            try transaction { try Self.migrate($0) }
        } catch {
            throw ImpastoError.invalidArgument(
                "The database \(location.described) cannot be opened as the service's database (\(Self.describe(error))).")
        }
    }

    deinit { try? connection?.close().wait() }

    /// Runs `body` in one transaction (BEGIN … COMMIT; ROLLBACK when it throws). A connection that broke is opened
    /// again by the next call.
    func transaction<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try lock.withLock {
            let session = PostgresSession(connection: try open(), logger: logger)
            do {
                try session.run("BEGIN")
                let value = try body(session)
                try session.run("COMMIT")
                return value
            } catch {
                if (try? session.run("ROLLBACK")) == nil {
                    try? connection?.close().wait()
                    connection = nil
                }
                throw error
            }
        }
    }

    private func open() throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let configuration: PostgresConnection.Configuration
        if let folder = location.socketFolder {
            configuration = .init(unixSocketPath: folder + "/.s.PGSQL.\(location.port)", username: location.user,
                                  password: location.password, database: location.database)
        } else {
            configuration = .init(host: location.host ?? "localhost", port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: .disable)
        }
        let opened = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(),
                                                    configuration: configuration, id: 1, logger: logger).wait()
        connection = opened
        return opened
    }

    /// The server's own words for a failure (postgres-nio's description hides them from logs by default).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return "\(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// Schema steps, in order; each runs once, recorded in `impasto_migrations`. An advisory lock keeps a server
    /// and workers starting together from applying a step twice.
    static let migrations: [String] = [
        """
        CREATE TABLE users (
            id BIGSERIAL PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            tier TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL);
        CREATE TABLE tokens (
            hash TEXT PRIMARY KEY,
            user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL,
            expires DOUBLE PRECISION);
        CREATE TABLE files (
            id TEXT PRIMARY KEY,
            owner BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            name TEXT,
            width BIGINT,
            height BIGINT,
            bytes BIGINT NOT NULL,
            created DOUBLE PRECISION NOT NULL);
        CREATE INDEX files_uploads ON files(owner, kind, created);
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            seq BIGSERIAL NOT NULL,
            owner BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            params TEXT NOT NULL,
            tier TEXT NOT NULL,
            priority BIGINT NOT NULL,
            state TEXT NOT NULL,
            progress DOUBLE PRECISION NOT NULL DEFAULT 0,
            detail TEXT,
            lease_owner TEXT,
            lease_expires DOUBLE PRECISION,
            attempts BIGINT NOT NULL DEFAULT 0,
            completions BIGINT NOT NULL DEFAULT 0,
            cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
            created DOUBLE PRECISION NOT NULL,
            started DOUBLE PRECISION,
            finished DOUBLE PRECISION,
            content_file TEXT,
            style_file TEXT,
            result_file TEXT,
            preview_file TEXT,
            error TEXT,
            public BOOLEAN NOT NULL DEFAULT FALSE);
        CREATE INDEX jobs_queue ON jobs(state, priority DESC, created, seq);
        CREATE INDEX jobs_owner ON jobs(owner, created);
        """,
        // What a faces or explain job found, as JSON (JobFindings).
        "ALTER TABLE jobs ADD COLUMN findings TEXT",
    ]

    static func migrate(_ session: PostgresSession) throws {
        // An arbitrary key of this schema's lock ("impasto" in ASCII, truncated), held until COMMIT.
        try session.run("SELECT pg_advisory_xact_lock(7595444613161839)")
        try session.run("CREATE TABLE IF NOT EXISTS impasto_migrations (step BIGINT PRIMARY KEY, applied DOUBLE PRECISION NOT NULL)")
        let done = try session.query("SELECT COALESCE(MAX(step), 0) FROM impasto_migrations").first
            .map { try $0.decode(Int.self) } ?? 0
        for (index, sql) in migrations.enumerated() where index + 1 > done {
            // The extended protocol takes one statement at a time.
            for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
                try session.run(PostgresQuery(unsafeSQL: String(statement)))
            }
            try session.run("INSERT INTO impasto_migrations (step, applied) VALUES (\(index + 1), \(ServerDatabase.now()))")
        }
    }
}

/// One connection inside a transaction, used from one thread.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func run(_ query: PostgresQuery) throws -> Int {
        try connection.query(query, logger: logger).wait().metadata.rows ?? 0
    }

    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        try connection.query(query, logger: logger).wait().rows
    }
}

// The service's side of the jobs table on PostgreSQL, as far as workers and the fleet need it: accounts and jobs
// are created and ended for their owners with the same rules as JobRecords and Accounts on SQLite.
extension PostgresDatabase {
    /// Adds a user whose password is already hashed; returns its id.
    public func createUser(name: String, passwordHash: String, tier: ServiceTier) throws -> Int64 {
        try transaction { session in
            try session.query("""
                INSERT INTO users (name, password_hash, tier, created) VALUES (\(name), \(passwordHash), \(tier.rawValue),
                \(ServerDatabase.now())) RETURNING id
                """)[0].decode(Int64.self)
        }
    }

    /// Records an upload that has been decoded.
    public func recordUpload(id: String, owner: Int64, name: String?, width: Int, height: Int, bytes: Int) throws {
        try transaction { session in
            try session.run("""
                INSERT INTO files (id, owner, kind, name, width, height, bytes, created)
                VALUES (\(id), \(owner), 'upload', \(name), \(width), \(height), \(bytes), \(ServerDatabase.now()))
                """)
        }
    }

    /// Queues a job for `owner`.
    public func createJob(owner: Int64, kind: JobKind, params: JobParameters, tier: ServiceTier, public isPublic: Bool) throws -> String {
        let id = FileStore.newID()
        try transaction { session in
            try session.run("""
                INSERT INTO jobs (id, owner, kind, params, tier, priority, state, created, content_file, style_file, public)
                VALUES (\(id), \(owner), \(kind.rawValue), \(params.json), \(tier.rawValue), \(tier.priority), 'queued',
                \(ServerDatabase.now()), \(params.content), \(params.style), \(isPublic))
                """)
        }
        return id
    }

    /// Cancels the owner's job: a queued one at once, a running one at its worker's next renewal. False when the
    /// owner has no such job.
    public func cancelJob(_ id: String, owner: Int64) throws -> Bool {
        try transaction { session in
            guard try !session.query("SELECT 1 FROM jobs WHERE id = \(id) AND owner = \(owner)").isEmpty else { return false }
            try session.run("UPDATE jobs SET state = 'cancelled', finished = \(ServerDatabase.now()) WHERE id = \(id) AND state = 'queued'")
            try session.run("UPDATE jobs SET cancel_requested = TRUE WHERE id = \(id) AND state = 'running'")
            return true
        }
    }

    /// Deletes the owner's job; the ids of its result and preview files, nil when the owner has no such job.
    public func deleteJob(_ id: String, owner: Int64) throws -> [String]? {
        try transaction { session in
            guard let row = try session.query("""
                DELETE FROM jobs WHERE id = \(id) AND owner = \(owner) RETURNING result_file, preview_file
                """).first else { return nil }
            let (result, preview) = try row.decode((String?, String?).self)
            return [result, preview].compactMap { $0 }
        }
    }
}
