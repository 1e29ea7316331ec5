/// A node's server name on the backplane: `<host>_<32 lowercase hex digits>`, as ASP.NET Core
/// makes it (the machine name and a GUID without dashes), chosen once per hub per process.
///
/// Its ack and return channels carry it, and group commands name it so the owner of a
/// connection knows where to send the ack. It is always 34 bytes or more, so MessagePack writes
/// it as `str8`.
public enum BackplaneServerName {
    /// A new name for a node on `host`, with 128 random bits.
    public static func make(host: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(host: host, using: &generator)
    }

    /// A new name for a node on `host`, drawing the random part from `generator`.
    public static func make(host: String, using generator: inout some RandomNumberGenerator) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(32)
        for _ in 0..<2 {
            var word = generator.next() as UInt64
            for _ in 0..<16 {
                hex.append(digits[Int(word & 0xF)])
                word >>= 4
            }
        }
        return host + "_" + String(decoding: hex, as: UTF8.self)
    }
}
