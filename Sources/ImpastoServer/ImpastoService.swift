// The whole service in one process: the database, the stored files, the HTTP API and in-process workers.
import Foundation
import Hummingbird
import Logging

/// Everything a server or worker process opens from its configuration.
public final class ImpastoService: Sendable {
    public let configuration: ServerConfiguration
    /// The tables: the SQLite file or PostgreSQL (`--database`).
    public let store: any ServiceStore
    public let files: FileStore
    let accounts: Accounts

    public var queue: any JobQueue { store.queue }
    var jobs: any JobRecords { store }
    var uploads: any Uploads { store }
    var filters: any FilterRecords { store }

    public init(_ configuration: ServerConfiguration) throws {
        self.configuration = configuration
        files = try FileStore(data: configuration.data)
        store = try openStore(configuration)
        accounts = Accounts(store: store, bcryptCost: configuration.bcryptCost)
    }

    /// The HTTP application on `host`:`port` (0: any free port); `onRunning` learns the port it got.
    public func application(host: String = "127.0.0.1", port: Int = 8080,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var logger = Logger(label: "impasto.serve")
        logger.logLevel = .warning
        return Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "impasto"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    /// Every route of the API and the pages, behind the middleware that opens the account and limits the rate.
    func router() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: AuthenticationMiddleware(accounts: accounts))
        router.add(middleware: RateLimitMiddleware(configuration))
        ServiceAPI(service: self).add(to: router)
        // The templates are compiled into the binary: a failure here is a bug in them, found by the page tests.
        try! WebPages(service: self).add(to: router)
        return router
    }

    /// What a worker process opens: the stored files and the queue, in the SQLite file or in PostgreSQL.
    public static func workerQueue(_ configuration: ServerConfiguration) throws -> (queue: any JobQueue, files: FileStore) {
        let files = try FileStore(data: configuration.data)
        switch configuration.database {
        case .sqlite:
            return (SQLiteJobQueue(database: try ServerDatabase(configuration.database), maxAttempts: configuration.maxAttempts), files)
        case let .postgres(location):
            return (PostgresJobQueue(database: try PostgresDatabase(location), maxAttempts: configuration.maxAttempts), files)
        }
    }

    /// `count` workers in this process, not yet started.
    public func workers(_ count: Int) -> WorkerPool {
        WorkerPool(count: count, queue: queue, files: files, configuration: configuration)
    }

    /// Serves until SIGTERM or SIGINT, with `workers` in-process workers; on the signal the server stops taking
    /// requests and each worker gives its unfinished job back to the queue.
    public func serve(host: String, port: Int, workers count: Int, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let pool = workers(count)
        pool.start()
        do {
            try await application(host: host, port: port, onRunning: onRunning).runService()
        } catch {
            pool.stop()
            throw error
        }
        pool.stop()
    }
}
