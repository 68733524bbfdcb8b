import Foundation

/// Remembers the token ids of pieces already encoded: real text repeats its words, and merging is the costly step.
///
/// An open-addressing hash table keyed by the piece's bytes, with keys and ids stored back to back in two arrays,
/// so that a lookup allocates nothing. It fills up to `capacity` pieces and then stops adding (the frequent words
/// arrive early). Shared by all threads that use the tokenizer, behind a lock.
final class PieceCache: @unchecked Sendable {
    // @unchecked: every mutable property is only touched while `lock` is held.

    private struct Slot {
        var hash: UInt64 = 0
        var keyStart: Int32 = -1  // -1: empty slot
        var keyLength: Int32 = 0
        var idsStart: Int32 = 0
        var idsCount: Int32 = 0
    }

    private let lock = NSLock()
    private let capacity: Int
    /// Longer pieces (long runs of symbols, very long words) rarely repeat and are not kept.
    private let maximumPieceLength: Int
    /// A power of two, at least twice `capacity`, so that probe sequences stay short.
    private var slots: [Slot]
    private var keyBytes: [UInt8] = []
    private var ids: [Int32] = []
    private var count = 0

    init(capacity: Int, maximumPieceLength: Int) {
        self.capacity = capacity
        self.maximumPieceLength = maximumPieceLength
        var slotCount = 1
        while slotCount < 2 * capacity { slotCount <<= 1 }
        slots = [Slot](repeating: Slot(), count: slotCount)
    }

    /// Appends the cached ids of `piece` to `output`; false when the piece is not cached.
    func appendIds(of piece: UnsafeBufferPointer<UInt8>, to output: inout [Int32]) -> Bool {
        guard piece.count <= maximumPieceLength else { return false }
        let hash = Self.hash(piece)
        lock.lock()
        defer { lock.unlock() }
        let (index, found) = slotIndex(of: piece, hash: hash)
        guard found else { return false }
        let slot = slots[index]
        output.append(contentsOf: ids[Int(slot.idsStart)..<Int(slot.idsStart + slot.idsCount)])
        return true
    }

    /// Caches `pieceIds` as the encoding of `piece` (unless the cache is full or the piece too long).
    func store(_ pieceIds: ArraySlice<Int32>, for piece: UnsafeBufferPointer<UInt8>) {
        guard piece.count <= maximumPieceLength else { return }
        let hash = Self.hash(piece)
        lock.lock()
        defer { lock.unlock() }
        guard count < capacity else { return }
        let (index, found) = slotIndex(of: piece, hash: hash)
        guard !found else { return }
        slots[index] = Slot(hash: hash, keyStart: Int32(keyBytes.count), keyLength: Int32(piece.count),
                            idsStart: Int32(ids.count), idsCount: Int32(pieceIds.count))
        keyBytes.append(contentsOf: piece)
        ids.append(contentsOf: pieceIds)
        count += 1
    }

    /// The slot holding `piece`, or the empty slot where it would go (linear probing).
    private func slotIndex(of piece: UnsafeBufferPointer<UInt8>, hash: UInt64) -> (index: Int, found: Bool) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.keyStart < 0 { return (index, false) }
            if slot.hash == hash && Int(slot.keyLength) == piece.count && keyEquals(slot, piece) { return (index, true) }
            index = (index + 1) & mask
        }
    }

    private func keyEquals(_ slot: Slot, _ piece: UnsafeBufferPointer<UInt8>) -> Bool {
        keyBytes.withUnsafeBufferPointer { stored in
            memcmp(stored.baseAddress! + Int(slot.keyStart), piece.baseAddress!, piece.count) == 0
        }
    }

    /// A fast 64-bit hash of a short byte string, eight bytes at a time.
    static func hash(_ piece: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let raw = UnsafeRawBufferPointer(piece)
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(piece.count)
        var offset = 0
        while offset + 8 <= raw.count {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < raw.count {
            tail |= UInt64(raw[offset]) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return hash ^ (hash >> 29)
    }
}
