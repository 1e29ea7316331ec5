import NIOCore

/// The output of one ``MessagePackEncoder`` run, shared by every encoder and container of that run.
///
/// Values are written straight into the buffer in encoding order. A container's element count is
/// known only when it is done, so each container starts with a one-byte fixarray/fixmap header that
/// is patched when the container is closed; past 15 elements the content moves up by 2 or 4 bytes to
/// make room for an `array16/32` or `map16/32` header. Containers are "open" on a stack; writing to
/// one closes every container opened after it (its finished descendants). Writing to a container
/// after it was closed — which strictly nested `Codable` code never does — fails with
/// ``MessagePackError/Code/unsupportedValue`` instead of producing wrong bytes.
final class EncodingState {
    struct Frame {
        let id: Int
        let headerOffset: Int
        var count: Int
        let isMap: Bool
    }

    // Unchecked: one encoding run uses the state from one thread, and no access to these overlaps
    // another (nothing re-enters while the writer or the frames are being modified); the dynamic
    // checks cost more than the writes they guard.
    @exclusivity(unchecked) var writer: MessagePackWriter
    @exclusivity(unchecked) private(set) var frames: [Frame] = []
    private var nextFrameID = 1
    /// An error found where the `Encoder` API cannot throw (opening a nested container…), thrown when
    /// the run ends.
    var deferredError: EncodingError?
    /// Set when the run is over: late writes from escaped encoders fail.
    private(set) var isFinished = false
    let userInfo: [CodingUserInfoKey: Any]
    let encodesNilForAbsentOptionals: Bool

    init(writer: MessagePackWriter, userInfo: [CodingUserInfoKey: Any], encodesNilForAbsentOptionals: Bool) {
        self.writer = writer
        self.userInfo = userInfo
        self.encodesNilForAbsentOptionals = encodesNilForAbsentOptionals
    }

    /// The id the root slot uses as its "parent frame": open when no frame is.
    static let rootFrameID = 0

    // MARK: - Frames

    /// Closes every frame above `id` and returns the index of frame `id` in `frames`
    /// (`-1` for the root); throws if that frame is closed already.
    @inline(__always)
    func prepare(_ id: Int, codingPath: @autoclosure () -> [any CodingKey]) throws(EncodingError) -> Int {
        if let top = frames.last, top.id == id, !isFinished { return frames.count &- 1 }
        return try prepareSlow(id, codingPath: codingPath())
    }

    private func prepareSlow(_ id: Int, codingPath: [any CodingKey]) throws(EncodingError) -> Int {
        guard id >= 0 else {
            throw Self.error("a container that could not be opened was written to", codingPath)
        }
        guard !isFinished else {
            throw Self.error("an encoder or container was used after the encoding finished", codingPath)
        }
        while let top = frames.last, top.id > id {
            closeTop()
        }
        if id == Self.rootFrameID, frames.isEmpty { return -1 }
        guard let top = frames.last, top.id == id else {
            throw Self.error(
                "a container was written to after a container opened later by its parent; "
                    + "MessagePackEncoder writes in order and cannot go back", codingPath)
        }
        return frames.count &- 1
    }

    /// Starts a container at the end of the output and returns its frame id.
    func openFrame(isMap: Bool) -> Int {
        let id = nextFrameID
        nextFrameID &+= 1
        frames.append(Frame(id: id, headerOffset: writer.buffer.writerIndex, count: 0, isMap: isMap))
        writer.buffer.writeInteger(isMap ? UInt8(0x80) : UInt8(0x90))
        return id
    }

    /// Counts one more element (pair, for maps) in the frame at `index`.
    @inline(__always)
    func countElement(inFrameAt index: Int) {
        if index >= 0 { frames[index].count &+= 1 }
    }

    /// The element count of frame `id` if it is still open.
    func count(ofFrame id: Int) -> Int? {
        frames.last { $0.id == id }?.count
    }

    /// Whether frame `id` is open and its header sits at `offset`.
    func isOpenFrame(_ id: Int, at offset: Int) -> Bool {
        frames.contains { $0.id == id && $0.headerOffset == offset }
    }

    private func closeTop() {
        guard let frame = frames.popLast() else { return }
        let count = frame.count
        var buffer = writer.buffer
        writer.buffer = ByteBuffer()  // keep the storage uniquely referenced while patching
        defer { writer.buffer = buffer }
        if count <= 15 {
            buffer.setInteger(
                (frame.isMap ? UInt8(0x80) : UInt8(0x90)) | UInt8(truncatingIfNeeded: count), at: frame.headerOffset)
            return
        }
        guard UInt64(count) <= UInt64(UInt32.max) else {
            deferredError =
                deferredError
                ?? Self.error("a container of \(count) elements is too big for MessagePack", [], .lengthLimitExceeded)
            return
        }
        let extra = count <= 0xffff ? 2 : 4
        let contentStart = frame.headerOffset &+ 1
        let contentLength = buffer.writerIndex &- contentStart
        buffer.writeRepeatingByte(0, count: extra)
        // Cannot fail: the source range lies between the header and the old writer index.
        _ = try? buffer.copyBytes(at: contentStart, to: contentStart &+ extra, length: contentLength)
        if extra == 2 {
            buffer.setInteger(frame.isMap ? UInt8(0xde) : UInt8(0xdc), at: frame.headerOffset)
            buffer.setInteger(UInt16(truncatingIfNeeded: count), at: contentStart)
        } else {
            buffer.setInteger(frame.isMap ? UInt8(0xdf) : UInt8(0xdd), at: frame.headerOffset)
            buffer.setInteger(UInt32(truncatingIfNeeded: count), at: contentStart)
        }
    }

    /// A point to return to if encoding one value fails part-way (see ``rollBack(to:)``).
    struct Mark {
        let writerIndex: Int
        let frameCount: Int
        /// The element count of the frame being written to (the top one), if any.
        let elementCount: Int?
    }

    /// Where the output stands now; `countingFrameAt` is the index of the frame whose element count
    /// the coming value changes (`-1`: none).
    func mark(countingFrameAt index: Int) -> Mark {
        Mark(
            writerIndex: writer.buffer.writerIndex, frameCount: frames.count,
            elementCount: index >= 0 ? frames[index].count : nil)
    }

    /// Forgets everything written since `mark`, so a value whose encoding threw leaves no half-written
    /// bytes behind even if the caller catches the error and goes on. Returns `false` (and changes
    /// nothing) if the output was closed past the mark meanwhile.
    @discardableResult
    func rollBack(to mark: Mark) -> Bool {
        guard !isFinished, frames.count >= mark.frameCount, writer.buffer.writerIndex >= mark.writerIndex else {
            return false
        }
        frames.removeLast(frames.count &- mark.frameCount)
        if let count = mark.elementCount { frames[mark.frameCount &- 1].count = count }
        writer.buffer.moveWriterIndex(to: mark.writerIndex)
        return true
    }

    /// Closes every open frame and ends the run; throws what was deferred.
    func finish() throws(EncodingError) {
        while !frames.isEmpty { closeTop() }
        isFinished = true
        if let deferredError { throw deferredError }
    }

    /// Records an error found where the API cannot throw; the first one wins.
    func deferError(_ error: EncodingError) {
        if deferredError == nil { deferredError = error }
    }

    static func error(
        _ message: String, _ codingPath: [any CodingKey], _ code: MessagePackError.Code = .unsupportedValue
    ) -> EncodingError {
        let underlying = MessagePackError(code, message)
        return EncodingError.invalidValue(
            (), EncodingError.Context(codingPath: codingPath, debugDescription: message, underlyingError: underlying))
    }
}
