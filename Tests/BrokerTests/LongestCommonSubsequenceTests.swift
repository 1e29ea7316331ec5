import Testing

@testable import Broker

/// LCS results with the values redis-server 7.0.15 replies for the same strings
/// (`LCS a b`, `LCS a b IDX WITHMATCHLEN`, `LCS a b IDX MINMATCHLEN 2`).
@Suite struct LongestCommonSubsequenceTests {
    typealias Match = LongestCommonSubsequence.Match

    static let vectors: [(String, String, String, [Match], [Match])] = [
        (
            "ohmytext", "mynewtext", "mytext",
            [Match(a: 4...7, b: 5...8), Match(a: 2...3, b: 0...1)],
            [Match(a: 4...7, b: 5...8), Match(a: 2...3, b: 0...1)]
        ),
        ("abcdef", "abcdef", "abcdef", [Match(a: 0...5, b: 0...5)], [Match(a: 0...5, b: 0...5)]),
        ("a", "b", "", [], []),
        ("axbxcx", "xaxbxc", "axbxc", [Match(a: 0...4, b: 1...5)], [Match(a: 0...4, b: 1...5)]),
        ("hello", "", "", [], []),
        ("aaaa", "aa", "aa", [Match(a: 2...3, b: 0...1)], [Match(a: 2...3, b: 0...1)]),
    ]

    @Test(arguments: vectors.indices)
    func sameAsRedis(_ index: Int) {
        let (a, b, sequence, matches, longMatches) = Self.vectors[index]
        let all = LongestCommonSubsequence(Array(a.utf8), Array(b.utf8), needSequence: true)
        #expect(String(decoding: all.sequence, as: UTF8.self) == sequence)
        #expect(all.length == sequence.utf8.count)
        #expect(all.matches == matches)
        let long = LongestCommonSubsequence(Array(a.utf8), Array(b.utf8), needSequence: true, minimumMatchLength: 2)
        #expect(long.matches == longMatches)
        let lengthOnly = LongestCommonSubsequence(Array(a.utf8), Array(b.utf8), needSequence: false)
        #expect(lengthOnly.length == sequence.utf8.count)
        #expect(lengthOnly.sequence.isEmpty)
    }

    @Test func minimumMatchLengthDropsShortRuns() {
        // "ohmytext"/"mynewtext" has runs of 4 and 2 bytes: MINMATCHLEN 3 keeps only the first.
        let lcs = LongestCommonSubsequence(
            Array("ohmytext".utf8), Array("mynewtext".utf8), needSequence: true, minimumMatchLength: 3)
        #expect(lcs.matches == [Match(a: 4...7, b: 5...8)])
    }
}
