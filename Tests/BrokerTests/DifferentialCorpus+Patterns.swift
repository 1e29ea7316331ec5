import TestSupport

extension DifferentialCorpus {
    /// Glob patterns: each pattern gets its own subscriber, and PUBLISH's count says whether it matched.
    static let patterns: [DifferentialCase] = [
        DifferentialCase(name: "glob patterns in PSUBSCRIBE") { s in
            let patterns = [
                "*", "h?llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h\\*llo", "h\\?llo", "[", "h[",
                "h[a-", "a\\", "*\\", "[]", "[^]", "[\\]]", "x[!a]y", "**", "*a*b*", "\\[a]",
            ]
            for (i, p) in patterns.enumerated() {
                try await s.call("PSUBSCRIBE", p, on: i + 1)
            }
            let channels = [
                "hello", "hallo", "hxllo", "hillo", "hbllo", "h*llo", "h?llo", "[", "h[", "h[a-", "a\\", "a",
                "]", "x!y", "xay", "xby", "ab", "zazbz", "[a]", "h", "",
            ]
            for c in channels {
                try await s.call("PUBLISH", c, "m")
            }
        },
        DifferentialCase(name: "glob patterns in PUBSUB CHANNELS") { s in
            try await s.call("SUBSCRIBE", "news.art", on: 1)
            for p in [
                "news.*", "news.a?t", "news.[a-c]rt", "news.[^a]rt", "news.[c-a]rt", "news\\.art", "NEWS.*", "*",
                "n*s.art", "news.art*", "[n]ews.art", "news.a[r-r]t",
            ] {
                try await s.call("PUBSUB", "CHANNELS", p)
            }
            try await s.call("SSUBSCRIBE", "shard.x", on: 2)
            for p in ["shard.?", "s*", "*.x", "shard.[^x]", "shard.\\x", "[]"] {
                try await s.call("PUBSUB", "SHARDCHANNELS", p)
            }
        },
    ]
}
