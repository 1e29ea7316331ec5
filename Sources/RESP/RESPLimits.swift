/// The bounds a RESP reader enforces, with Redis's defaults.
public struct RESPLimits: Sendable, Hashable {
    /// Largest bulk string accepted (`proto-max-bulk-len`, 512 MB).
    public var maxBulkLength: Int
    /// Largest element count of a command's multibulk (Redis: `INT_MAX`).
    public var maxMultibulkLength: Int
    /// Longest inline command or length line without a newline (`PROTO_INLINE_MAX_SIZE`, 64 KB).
    public var maxInlineLength: Int
    /// Most unprocessed bytes one client may queue (`client-query-buffer-limit`, 1 GB).
    public var maxQueryBufferLength: Int
    /// Deepest nesting of aggregates the value decoder accepts.
    public var maxDepth: Int
    /// Most elements of one aggregate the value decoder accepts.
    public var maxAggregateLength: Int

    /// Redis 7's defaults.
    public static let redisDefaults = RESPLimits(
        maxBulkLength: 512 * 1024 * 1024,
        maxMultibulkLength: Int(Int32.max),
        maxInlineLength: 64 * 1024,
        maxQueryBufferLength: 1024 * 1024 * 1024,
        maxDepth: 128,
        maxAggregateLength: Int(Int32.max)
    )

    /// Makes a set of limits.
    public init(
        maxBulkLength: Int, maxMultibulkLength: Int, maxInlineLength: Int, maxQueryBufferLength: Int,
        maxDepth: Int, maxAggregateLength: Int
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxMultibulkLength = maxMultibulkLength
        self.maxInlineLength = maxInlineLength
        self.maxQueryBufferLength = maxQueryBufferLength
        self.maxDepth = maxDepth
        self.maxAggregateLength = maxAggregateLength
    }
}
