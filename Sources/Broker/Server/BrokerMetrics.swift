import Metrics

/// The broker's swift-metrics counters for every bound that cuts a client off, so a metrics
/// backend (chosen by the executable) sees what `INFO stats` reports.
struct BrokerMetrics {
    /// Connections refused by `maxclients` or protected mode.
    let rejectedConnections = Counter(label: "switchboard_broker_rejected_connections_total")
    /// Clients closed by `client-output-buffer-limit`.
    let outputBufferLimitDisconnections = Counter(
        label: "switchboard_broker_output_buffer_limit_disconnections_total")
    /// Clients closed by `client-query-buffer-limit`.
    let queryBufferLimitDisconnections = Counter(label: "switchboard_broker_query_buffer_limit_disconnections_total")
    /// Connections closed after a protocol error.
    let protocolErrors = Counter(label: "switchboard_broker_protocol_errors_total")
}
