// The service's tables in PostgreSQL (postgres-nio), for a server and workers on many machines: the same tables as
// the SQLite file (ServerDatabase), migrated the same way at startup, one step at a time.
//
// The queue's protocol is synchronous and called from each worker's own thread, so this holds one connection and
// waits on its futures there; a lock keeps one transaction at a time on it (workers in one process take turns; each
// process has its own connection, and PostgreSQL's row locks serialise the processes). The server's requests reach
// it through `perform`, on NIO's thread pool, never on an event loop.
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

    /// Closes the connection without waiting: the last reference may go on an event loop (a server's router
    /// released as it stops), where NIO forbids `wait()` (a precondition, so a crash).
    /// The closure keeps the connection alive until it has closed (postgres-nio asserts on one freed open).
    deinit {
        guard let connection else { return }
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

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
        """
        CREATE TABLE filters (
            id TEXT PRIMARY KEY,
            owner BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            style_file TEXT NOT NULL,
            public BOOLEAN NOT NULL DEFAULT FALSE,
            created DOUBLE PRECISION NOT NULL);
        CREATE INDEX filters_owner ON filters(owner, created);
        CREATE INDEX filters_style ON filters(style_file);
        """,
        // Step 3: what a faces or explain job found, as JSON (JobFindings). (Written as step 2 on a branch beside
        // the filters'; a database made there before the merge lacks the filters table and is made afresh.)
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

extension PostgresDatabase {
    /// Runs `body` in one transaction on NIO's thread pool, for async callers (the server's requests).
    @discardableResult
    func perform<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try self.transaction(body) }
    }
}
