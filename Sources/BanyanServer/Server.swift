import Banyan
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `banyan serve`: an OpenAI-compatible HTTP server over one engine, with `n`, `best_of`,
/// `use_beam_search` and the library's search (`"search": {…}`) on both completion routes.
public struct BanyanServer: Sendable {
    public let configuration: ServerConfiguration
    let loop: EngineLoop
    let metrics: ServerMetrics

    public init(_ configuration: ServerConfiguration) {
        self.configuration = configuration
        metrics = ServerMetrics()
        loop = EngineLoop(configuration: configuration, metrics: metrics)
    }

    /// The HTTP application with the engine loop as one of its services (what tests drive).
    public func application(logger: Logger = Logger(label: "banyan.serve")) -> some ApplicationProtocol {
        httpApplication(services: [engineService(logger)], logger: logger)
    }

    func httpApplication(services: [any Service], logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        Routes(loop: loop, metrics: metrics, configuration: configuration).add(to: router)
        return Application(router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "banyan"),
                           services: services, logger: logger)
    }

    func engineService(_ logger: Logger, exitAfterDrain: Double? = nil) -> EngineService {
        EngineService(loop: loop, drainSeconds: configuration.drainSeconds, exitAfterDrain: exitAfterDrain, logger: logger)
    }

    /// Serves until SIGTERM or SIGINT: then new requests are answered 503, running ones get a few seconds to
    /// finish before they are cancelled, and the HTTP server closes. (The engine is listed after the HTTP
    /// server so that it shuts down first: the server alone would wait for every open stream to end.) A
    /// connection still busy one second after the drain (a client that never finishes its body, work that
    /// cannot be interrupted) does not hold the process: it exits then, within `drainSeconds + 1` s of the
    /// signal.
    public func run() async throws {
        var logger = Logger(label: "banyan.serve")
        logger.logLevel = .info
        let group = ServiceGroup(configuration: .init(services: [httpApplication(services: [], logger: logger), engineService(logger, exitAfterDrain: 1.0)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// Waits until the model is loaded (for tests and tools that start the server in process).
    public func waitUntilReady(timeout: Duration = .seconds(120)) async throws {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            switch loop.status {
            case .ready: return
            case .failed(let why): throw APIError.server("the model failed to load: \(why)")
            default: try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw APIError.server("the model did not load within \(timeout)")
    }
}

/// Runs the engine loop for the service group: starts it with the server, and on graceful shutdown gives
/// running requests `drainSeconds` to finish before it cancels them.
struct EngineService: Service {
    let loop: EngineLoop
    let drainSeconds: Double
    /// Seconds after the drain at which the process exits even if connections are still open (`nil` in
    /// tests, which run the server inside the test process).
    let exitAfterDrain: Double?
    let logger: Logger

    func run() async throws {
        loop.start()
        logger.info("loading the model")
        try? await gracefulShutdown()
        logger.info("shutting down: finishing running requests (up to \(drainSeconds) s)")
        await loop.stop(after: drainSeconds)
        if let exitAfterDrain {
            let logger = logger
            DispatchQueue.global().asyncAfter(deadline: .now() + exitAfterDrain) {
                logger.warning("connections still open \(exitAfterDrain) s after the drain; exiting")
                exit(0)
            }
        }
    }
}
