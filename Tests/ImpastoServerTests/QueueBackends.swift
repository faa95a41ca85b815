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

extension QueueBackend {
    /// `configuration` with its tables on this database: the SQLite file in DATA, or a fresh PostgreSQL database.
    func configure(_ configuration: ServerConfiguration) throws -> ServerConfiguration {
        guard self == .postgres else { return configuration }
        var configuration = configuration
        configuration.database = .postgres(try PostgresTestCluster.shared.freshDatabase())
        return configuration
    }
}

/// `--database …` for `impasto worker` processes sharing the service's tables (none for the SQLite file in DATA).
func workerDatabaseArguments(_ configuration: ServerConfiguration) -> [String] {
    guard case let .postgres(location) = configuration.database else { return [] }
    return ["--database", "postgres://\(location.user)@/\(location.database)?host=\(location.socketFolder ?? "")"]
}

/// Every row of the jobs table, read the same way from either database.
func jobSnapshots(_ service: ImpastoService) throws -> [JobSnapshot] {
    switch service.store {
    case let store as SQLiteStore:
        return try store.database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM jobs").map {
                JobSnapshot(id: $0["id"], state: $0["state"], attempts: $0["attempts"], completions: $0["completions"],
                            result: $0["result_file"], preview: $0["preview_file"], lease: $0["lease_owner"],
                            error: $0["error"], owner: $0["owner"])
            }
        }
    case let store as PostgresStore:
        return try store.database.transaction { session in
            try session.query("""
                SELECT id, state, attempts, completions, result_file, preview_file, lease_owner, error, owner FROM jobs
                """).map {
                let (id, state, attempts, completions, result, preview, lease, error, owner) =
                    try $0.decode((String, String, Int, Int, String?, String?, String?, String?, Int64).self)
                return JobSnapshot(id: id, state: state, attempts: attempts, completions: completions, result: result,
                                   preview: preview, lease: lease, error: error, owner: owner)
            }
        }
    default:
        throw PostgresClusterError(sentence: "The tests know no store of type \(type(of: service.store)).")
    }
}

/// One job's row, or nil when there is none.
func jobRow(_ service: ImpastoService, _ id: String) throws -> JobSnapshot? {
    try jobSnapshots(service).first { $0.id == id }
}

/// A queue and one user's side of the jobs table on one database, with files in `data`.
struct QueueFixture: Sendable {
    let backend: QueueBackend
    let service: ImpastoService
    let owner: Int64
    /// `--database …` for `impasto worker` processes sharing these tables.
    let workerArguments: [String]

    var data: URL { service.configuration.data }
    var files: FileStore { service.files }
    var queue: any JobQueue { service.queue }

    func enqueue(_ kind: JobKind, _ params: JobParameters, _ tier: ServiceTier) async throws -> String {
        try await service.jobs.create(owner: owner, kind: kind, params: params, tier: tier, public: false)
    }

    func recordUpload(_ id: String, _ width: Int, _ height: Int) async throws {
        try await service.uploads.record(id: id, owner: owner, name: nil, width: width, height: height, bytes: 1)
    }

    func rows() throws -> [JobSnapshot] { try jobSnapshots(service) }
    func row(_ id: String) throws -> JobSnapshot? { try jobRow(service, id) }
    func cancel(_ id: String, _ owner: Int64) async throws -> Bool { try await service.jobs.cancel(id, owner: owner) }
    func delete(_ id: String, _ owner: Int64) async throws -> [String]? { try await service.jobs.delete(id, owner: owner) }

    /// A fresh fixture with the user "ann".
    static func make(_ backend: QueueBackend, configuration: ServerConfiguration) async throws -> QueueFixture {
        let configuration = try backend.configure(configuration)
        let service = try ImpastoService(configuration)
        let user = try #require(try await service.accounts.register(name: "ann", password: "correct horse", tier: .hd))
        return QueueFixture(backend: backend, service: service, owner: user.id, workerArguments: workerDatabaseArguments(configuration))
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
