// The queue's tests run on both databases: the SQLite file, and a real PostgreSQL cluster started for this test
// process by scripts/postgres-test-cluster.sh (Debian's `postgresql`; each test gets a fresh database in it).
import Foundation
import GRDB
@testable import ImpastoServer
import ImpastoTestSupport
import PostgresNIO
import Testing

/// The databases the queue runs on.
enum QueueBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// Both, unless PostgreSQL is not installed outside CI (under CI=1 the PostgreSQL cases run, and fail without it).
    static var available: [QueueBackend] {
        runsInCI || PostgresTestCluster.isInstalled ? allCases : [.sqlite]
    }
}

let runsInCI = ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty && $0 != "0" && $0 != "false" } ?? false

/// A job's row as the tests check it, read the same way from either database.
struct JobSnapshot: Sendable, Equatable {
    var id: String
    var state: String
    var attempts: Int
    var completions: Int
    var result: String?
    var preview: String?
    var lease: String?
    var error: String?
    var owner: Int64
}

/// A queue and one user's side of the jobs table on one database, with files in `data`.
struct QueueFixture: Sendable {
    let backend: QueueBackend
    let data: URL
    let files: FileStore
    let queue: any JobQueue
    let owner: Int64
    /// `--database …` for `impasto worker` processes sharing these tables.
    let workerArguments: [String]
    let enqueue: @Sendable (JobKind, JobParameters, ServiceTier) async throws -> String
    let recordUpload: @Sendable (String, Int, Int) async throws -> Void
    let rows: @Sendable () throws -> [JobSnapshot]
    let cancel: @Sendable (String, Int64) async throws -> Bool
    let delete: @Sendable (String, Int64) async throws -> [String]?

    func row(_ id: String) throws -> JobSnapshot? { try rows().first { $0.id == id } }

    /// A fresh fixture with the user "ann".
    static func make(_ backend: QueueBackend, configuration: ServerConfiguration) async throws -> QueueFixture {
        switch backend {
        case .sqlite:
            let service = try ImpastoService(configuration)
            let user = try #require(try await service.accounts.register(name: "ann", password: "correct horse", tier: .hd))
            return QueueFixture(
                backend: backend, data: configuration.data, files: service.files, queue: service.queue, owner: user.id,
                workerArguments: [],
                enqueue: { try await service.jobs.create(owner: user.id, kind: $0, params: $1, tier: $2, public: false) },
                recordUpload: { try await service.uploads.record(id: $0, owner: user.id, name: nil, width: $1, height: $2, bytes: 1) },
                rows: {
                    try service.database.pool.read { db in
                        try Row.fetchAll(db, sql: "SELECT * FROM jobs").map {
                            JobSnapshot(id: $0["id"], state: $0["state"], attempts: $0["attempts"], completions: $0["completions"],
                                        result: $0["result_file"], preview: $0["preview_file"], lease: $0["lease_owner"],
                                        error: $0["error"], owner: $0["owner"])
                        }
                    }
                },
                cancel: { try await service.jobs.cancel($0, owner: $1) },
                delete: { try await service.jobs.delete($0, owner: $1) })
        case .postgres:
            let location = try PostgresTestCluster.shared.freshDatabase()
            let database = try PostgresDatabase(location)
            let queue = PostgresJobQueue(database: database, maxAttempts: configuration.maxAttempts)
            // A hash of the right form: these tests never sign in.
            let owner = try database.createUser(name: "ann", passwordHash: "$2b$04$" + String(repeating: "x", count: 53), tier: .hd)
            let url = "postgres://\(location.user)@/\(location.database)?host=\(location.socketFolder ?? "")"
            return QueueFixture(
                backend: backend, data: configuration.data, files: try FileStore(data: configuration.data), queue: queue,
                owner: owner, workerArguments: ["--database", url],
                enqueue: { try database.createJob(owner: owner, kind: $0, params: $1, tier: $2, public: false) },
                recordUpload: { try database.recordUpload(id: $0, owner: owner, name: nil, width: $1, height: $2, bytes: 1) },
                rows: {
                    try database.transaction { session in
                        try session.query("""
                            SELECT id, state, attempts, completions, result_file, preview_file, lease_owner, error, owner FROM jobs
                            """).map {
                            let (id, state, attempts, completions, result, preview, lease, error, owner) =
                                try $0.decode((String, String, Int, Int, String?, String?, String?, String?, Int64).self)
                            return JobSnapshot(id: id, state: state, attempts: attempts, completions: completions, result: result,
                                               preview: preview, lease: lease, error: error, owner: owner)
                        }
                    }
                },
                cancel: { try database.cancelJob($0, owner: $1) },
                delete: { try database.deleteJob($0, owner: $1) })
        }
    }
}

/// One PostgreSQL cluster for this test process, in a folder of its own under /tmp (a Unix socket's path must stay
/// under 108 bytes), stopped when the process exits.
final class PostgresTestCluster: @unchecked Sendable {
    static let script = repositoryRoot.appendingPathComponent("scripts/postgres-test-cluster.sh")

    static var isInstalled: Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false
    }

    static let shared = PostgresTestCluster()
    private let lock = NSLock()
    private var folder: String?
    private var databases = 0

    /// A new, empty database in the cluster (started on first use).
    func freshDatabase() throws -> PostgresLocation {
        let (folder, name) = try lock.withLock {
            let folder = try self.folder ?? start()
            databases += 1
            return (folder, "impasto_test_\(databases)")
        }
        try Self.run(["/usr/bin/env", "psql", "-q", "-h", folder, "-U", "postgres", "-d", "postgres", "-c", "CREATE DATABASE \(name)"])
        return PostgresLocation(host: nil, socketFolder: folder, user: "postgres", password: nil, database: name)
    }

    private func start() throws -> String {
        let folder = "/tmp/impasto-pg-\(FileStore.newID().prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try Self.run([Self.script.path, "start", folder])
        self.folder = folder
        clusterToStop = folder
        atexit {
            guard let folder = clusterToStop else { return }
            _ = try? PostgresTestCluster.run([PostgresTestCluster.script.path, "stop", folder])
            try? FileManager.default.removeItem(atPath: folder)
        }
        return folder
    }

    /// Runs a command through the shell; its standard error in the thrown sentence when it fails. Through
    /// `system`, which waits for the command alone: Foundation's `Process.waitUntilExit` also waited for the server
    /// that `pg_ctl start` leaves running (it inherits the child's descriptors), so it never returned.
    static func run(_ arguments: [String]) throws {
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("impasto-pg-\(FileStore.newID()).err")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let status = system("\(quoted) </dev/null >/dev/null 2>'\(errorFile.path)'")
        guard status == 0 else {
            let message = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw PostgresClusterError(sentence: "\(arguments.joined(separator: " ")) failed (\(status)): \(message)")
        }
    }
}

nonisolated(unsafe) private var clusterToStop: String?

struct PostgresClusterError: Error, CustomStringConvertible {
    let sentence: String
    var description: String { sentence }
}
