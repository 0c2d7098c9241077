import Metrics
import Prometheus

/// The server's metrics, through swift-metrics into a Prometheus registry of its own (so several servers
/// in one process, as in tests, do not share counters).
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let promptTokens: Metrics.Counter
    let generationTokens: Metrics.Counter
    let requestsRunning: Metrics.Gauge
    let requestsWaiting: Metrics.Gauge
    let kvUsage: Metrics.Gauge
    let kvPagesUsed: Metrics.Gauge
    let prefixCachePages: Metrics.Gauge
    let prefixCacheQueries: Metrics.Counter
    let prefixCacheHits: Metrics.Counter
    let timeToFirstToken: Metrics.Timer
    let interTokenLatency: Metrics.Timer
    let requestLatency: Metrics.Timer
    let requestsFinished: Metrics.Counter
    let requestsRejected: Metrics.Counter

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
                                .milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5)]
        factory.durationHistogramBuckets["banyan_inter_token_latency_seconds"] = fast
        factory.durationHistogramBuckets["banyan_time_to_first_token_seconds"] = fast + [.seconds(10), .seconds(30)]
        factory.durationHistogramBuckets["banyan_e2e_request_latency_seconds"] = [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(2),
                                                                                .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120)]
        promptTokens = Metrics.Counter(label: "banyan_prompt_tokens_total", factory: factory)
        generationTokens = Metrics.Counter(label: "banyan_generation_tokens_total", factory: factory)
        requestsRunning = Metrics.Gauge(label: "banyan_requests_running", factory: factory)
        requestsWaiting = Metrics.Gauge(label: "banyan_requests_waiting", factory: factory)
        kvUsage = Metrics.Gauge(label: "banyan_kv_cache_usage_ratio", factory: factory)
        kvPagesUsed = Metrics.Gauge(label: "banyan_kv_pages_used", factory: factory)
        prefixCachePages = Metrics.Gauge(label: "banyan_prefix_cache_pages", factory: factory)
        prefixCacheQueries = Metrics.Counter(label: "banyan_prefix_cache_queries_total", factory: factory)
        prefixCacheHits = Metrics.Counter(label: "banyan_prefix_cache_hits_total", factory: factory)
        timeToFirstToken = Metrics.Timer(label: "banyan_time_to_first_token_seconds", factory: factory)
        interTokenLatency = Metrics.Timer(label: "banyan_inter_token_latency_seconds", factory: factory)
        requestLatency = Metrics.Timer(label: "banyan_e2e_request_latency_seconds", factory: factory)
        requestsFinished = Metrics.Counter(label: "banyan_requests_finished_total", factory: factory)
        requestsRejected = Metrics.Counter(label: "banyan_requests_rejected_total", factory: factory)
        for g in [requestsRunning, requestsWaiting, kvUsage, kvPagesUsed, prefixCachePages] { g.record(0) }
    }

    /// The Prometheus text exposition.
    func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
