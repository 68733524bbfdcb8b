/// Byte-pair encoding of one pre-tokenized piece: start from one token per byte, then repeatedly merge
/// the adjacent pair with the lowest merge rank (the leftmost one on ties) until no listed pair is left.
///
/// Tokens are handled as ids throughout: a merge is keyed by the ids of its two halves.
struct BytePairModel: Sendable {
    /// What merging a pair of adjacent tokens gives, and how early the merge was learned.
    struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    /// `idForByte[b]`: the token standing for the single byte `b`, or `noToken`.
    /// SmolLM2 has no token for 21 byte values: C0, C1 and F5…FF never occur in UTF-8, but the controls
    /// 0x04, 0x06, 0x13, 0x14, 0x16 and 0x1D do. Like Hugging Face `tokenizers` (BPE without an unknown token),
    /// such bytes are dropped and their neighbours become adjacent.
    let idForByte: [Int32]
    static let noToken: Int32 = -1
    let merges: MergeTable

    /// - Parameters:
    ///   - idForBytes: the id of each vocabulary entry by the bytes it stands for (byte-level tokens only).
    ///   - mergeLines: `"left right"` in byte-level spelling, in rank order (first = merged first).
    init(idForBytes: [[UInt8]: Int32], mergeLines: [String]) throws(TokenizerError) {
        var idForByte = [Int32](repeating: BytePairModel.noToken, count: 256)
        for byte in 0..<256 {
            if let id = idForBytes[[UInt8(byte)]] { idForByte[byte] = id }
        }
        var merges = MergeTable(capacity: mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            let (left, right) = try Self.halves(of: line, index: rank)
            guard let leftBytes = ByteLevelAlphabet.bytes(of: left), let leftId = idForBytes[leftBytes] else {
                throw .mergeTokenNotInVocabulary(index: rank, token: left)
            }
            guard let rightBytes = ByteLevelAlphabet.bytes(of: right), let rightId = idForBytes[rightBytes] else {
                throw .mergeTokenNotInVocabulary(index: rank, token: right)
            }
            guard let resultId = idForBytes[leftBytes + rightBytes] else {
                throw .mergeTokenNotInVocabulary(index: rank, token: left + right)
            }
            // A repeated merge keeps its first (lowest) rank.
            merges.insertIfAbsent(left: leftId, right: rightId, Merge(rank: Int32(rank), result: resultId))
        }
        self.idForByte = idForByte
        self.merges = merges
    }

    /// Splits `"left right"` at the first space after the first character (a token is never empty).
    private static func halves(of line: String, index: Int) throws(TokenizerError) -> (String, String) {
        let scalars = line.unicodeScalars
        guard !scalars.isEmpty,
              let space = scalars[scalars.index(after: scalars.startIndex)...].firstIndex(of: " ") else {
            throw .malformedMerge(index: index, text: line)
        }
        let left = String(scalars[..<space])
        let right = String(scalars[scalars.index(after: space)...])
        guard !right.isEmpty, !right.unicodeScalars.contains(" ") else { throw .malformedMerge(index: index, text: line) }
        return (left, right)
    }

    /// Appends the tokens of `piece` to `output`. `scratch` is reused between calls to avoid allocations.
    func encode(_ piece: UnsafeBufferPointer<UInt8>, into output: inout [Int32], scratch: inout MergeScratch) {
        if piece.count == 1 {
            let id = idForByte[Int(piece[0])]
            if id != Self.noToken { output.append(id) }
            return
        }
        scratch.reset(count: piece.count)
        // Symbols form a doubly linked list over positions 0..<count; a merge keeps the left position.
        var count = 0
        for byte in piece {
            let id = idForByte[Int(byte)]
            guard id != Self.noToken else { continue }
            scratch.ids[count] = id
            scratch.previous[count] = Int32(count - 1)
            scratch.next[count] = Int32(count + 1)
            count += 1
        }
        guard count > 0 else { return }
        scratch.next[count - 1] = -1
        for position in 0..<(count - 1) {
            queueMerge(at: position, scratch: &scratch)
        }
        while let candidate = scratch.queue.popMinimum() {
            let position = Int(candidate & 0xFFFF_FFFF)
            let rank = Int32(truncatingIfNeeded: candidate >> 32)
            // Skip candidates made stale by earlier merges: the left symbol is gone or its pair changed.
            guard scratch.alive[position] else { continue }
            let right = Int(scratch.next[position])
            guard right >= 0,
                  let merge = merges.merge(left: scratch.ids[position], right: scratch.ids[right]),
                  merge.rank == rank else { continue }

            scratch.ids[position] = merge.result
            scratch.alive[right] = false
            let afterRight = scratch.next[right]
            scratch.next[position] = afterRight
            if afterRight >= 0 { scratch.previous[Int(afterRight)] = Int32(position) }

            let left = Int(scratch.previous[position])
            if left >= 0 { queueMerge(at: left, scratch: &scratch) }
            if afterRight >= 0 { queueMerge(at: position, scratch: &scratch) }
        }
        var position = 0
        while position >= 0 {
            output.append(scratch.ids[position])
            position = Int(scratch.next[position])
        }
    }

    /// Queues the merge of the symbol at `position` with its right neighbour, if that pair is listed.
    @inline(__always)
    private func queueMerge(at position: Int, scratch: inout MergeScratch) {
        let right = Int(scratch.next[position])
        guard let merge = merges.merge(left: scratch.ids[position], right: scratch.ids[right]) else { return }
        // Ordered by rank, then by position: the lowest rank merges first, the leftmost on ties.
        scratch.queue.insert(UInt64(UInt32(merge.rank)) << 32 | UInt64(position))
    }
}

/// Merges keyed by the ids of their two halves: open addressing with a multiplicative hash
/// (looked up for every adjacent pair, so it avoids `Dictionary`'s seeded SipHash).
struct MergeTable: Sendable {
    private static let emptyKey = UInt64.max
    private var keys: [UInt64]
    private var values: [BytePairModel.Merge]
    private let shift: UInt64

    init(capacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < 2 * max(capacity, 1) { bits += 1 }
        keys = [UInt64](repeating: Self.emptyKey, count: 1 << bits)
        values = [BytePairModel.Merge](repeating: BytePairModel.Merge(rank: 0, result: 0), count: 1 << bits)
        shift = 64 - bits
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func firstSlot(of key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    mutating func insertIfAbsent(left: Int32, right: Int32, _ merge: BytePairModel.Merge) {
        let key = Self.key(left, right)
        var slot = firstSlot(of: key)
        while keys[slot] != Self.emptyKey {
            if keys[slot] == key { return }
            slot = (slot + 1) & (keys.count - 1)
        }
        keys[slot] = key
        values[slot] = merge
    }

    @inline(__always)
    func merge(left: Int32, right: Int32) -> BytePairModel.Merge? {
        let key = Self.key(left, right)
        var slot = firstSlot(of: key)
        while true {
            let stored = keys[slot]
            if stored == key { return values[slot] }
            if stored == Self.emptyKey { return nil }
            slot = (slot + 1) & (keys.count - 1)
        }
    }
}

/// Working memory for `BytePairModel.encode`, reused across the pieces of one text.
struct MergeScratch {
    var ids: [Int32] = []
    var previous: [Int32] = []
    var next: [Int32] = []
    var alive: [Bool] = []
    var queue = MinimumHeap()

    mutating func reset(count: Int) {
        if ids.count < count {
            ids = [Int32](repeating: 0, count: count)
            previous = [Int32](repeating: 0, count: count)
            next = [Int32](repeating: 0, count: count)
            alive = [Bool](repeating: true, count: count)
        } else {
            for index in 0..<count { alive[index] = true }
        }
        queue.removeAll()
    }
}

/// A binary min-heap of packed `(rank << 32) | position` keys.
struct MinimumHeap {
    private var keys: [UInt64] = []

    mutating func removeAll() { keys.removeAll(keepingCapacity: true) }

    mutating func insert(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMinimum() -> UInt64? {
        guard let last = keys.popLast() else { return nil }
        guard !keys.isEmpty else { return last }
        let minimum = keys[0]
        keys[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < keys.count else { break }
            let right = left + 1
            let smaller = right < keys.count && keys[right] < keys[left] ? right : left
            guard keys[smaller] < keys[parent] else { break }
            keys.swapAt(smaller, parent)
            parent = smaller
        }
        return minimum
    }
}
