import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One tensor's entry in a safetensors header.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section (after the 8-byte length and the JSON header).
    public let dataRange: Range<Int>

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A read-only, memory-mapped safetensors file:
/// `[u64 little-endian header length N][N bytes of JSON header][data section]`.
/// The header maps tensor names to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets into the data section),
/// plus an optional `"__metadata__"` object of strings. Everything is validated before use:
/// sizes, known dtypes, non-negative shapes, byte counts that match the shape, ranges inside the file, no overlaps.
public final class SafetensorsFile: @unchecked Sendable {
    /// Header larger than this is refused as hostile (real headers are kilobytes).
    public static let maximumHeaderBytes = 100 * 1024 * 1024

    public let path: String
    public let tensors: [String: SafetensorsTensorInfo]
    public let metadata: [String: String]

    // Immutable after init: the mapping is read-only and unmapped in deinit.
    private let mapping: UnsafeRawPointer?
    private let mappedBytes: Int
    private let dataStart: Int

    public init(path: String) throws(SafetensorsError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        guard size >= 8 else {
            throw .truncated(path: path, detail: "\(size) bytes, shorter than the 8-byte header length")
        }
        guard let raw = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), raw != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
        }
        let base = UnsafeRawPointer(raw)
        do {
            let parsed = try SafetensorsHeaderParser.parse(base: base, fileSize: size, path: path)
            tensors = parsed.tensors
            metadata = parsed.metadata
            dataStart = parsed.dataStart
        } catch {
            munmap(raw, size)
            throw error
        }
        mapping = base
        mappedBytes = size
    }

    deinit {
        if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), mappedBytes) }
    }

    /// The header entry of `name`, or `.missingTensor`.
    public func info(_ name: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard let info = tensors[name] else { throw .missingTensor(path: path, tensor: name) }
        return info
    }

    /// The raw bytes of a tensor, valid while this file object lives.
    public func withBytes<R>(of name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let info = try info(name)
        let start = mapping! + dataStart + info.dataRange.lowerBound
        return try body(UnsafeRawBufferPointer(start: start, count: info.dataRange.count))
    }

    /// A tensor as Float32 values (F32 copied, F16/BF16/F64 converted), after checking its shape.
    /// - Parameter shape: the expected shape; nil accepts any.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(SafetensorsError) -> [Float] {
        let info = try info(name)
        if let expected, expected != info.shape {
            throw .unexpectedShape(path: path, tensor: name, expected: expected, actual: info.shape)
        }
        let count = info.elementCount
        let source = mapping! + dataStart + info.dataRange.lowerBound
        switch info.dtype {
        case .float32:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                // The data section need not be 4-byte aligned: copy bytes, then read as little-endian floats.
                memcpy(buffer.baseAddress!, source, count * 4)
                #if _endian(big)
                for i in 0..<count { buffer[i] = Float(bitPattern: buffer[i].bitPattern.byteSwapped) }
                #endif
                initialized = count
            }
        case .float16:
            return (0..<count).map { i in
                Float(Float16(bitPattern: UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .bfloat16:
            return (0..<count).map { i in
                let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                return Float(bitPattern: UInt32(bits) << 16)
            }
        case .float64:
            return (0..<count).map { i in
                Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        default:
            throw .unexpectedDType(path: path, tensor: name, expected: "F32, F16, BF16 or F64", actual: info.dtype.rawValue)
        }
    }
}

/// Reads and validates the JSON header of a safetensors file.
enum SafetensorsHeaderParser {
    struct Parsed {
        var tensors: [String: SafetensorsTensorInfo]
        var metadata: [String: String]
        var dataStart: Int
    }

    static func parse(base: UnsafeRawPointer, fileSize: Int, path: String) throws(SafetensorsError) -> Parsed {
        let declared = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(SafetensorsFile.maximumHeaderBytes) else {
            throw .badHeader(path: path, detail: "declared header length \(declared) exceeds \(SafetensorsFile.maximumHeaderBytes) bytes")
        }
        let headerLength = Int(declared)
        guard headerLength >= 2 else {
            throw .badHeader(path: path, detail: "declared header length \(headerLength) is too short for a JSON object")
        }
        guard headerLength <= fileSize - 8 else {
            throw .truncated(path: path, detail: "header needs \(headerLength) bytes, only \(fileSize - 8) follow")
        }
        let headerData = Data(bytes: base + 8, count: headerLength)
        let header: RawHeader
        do {
            header = try JSONDecoder().decode(RawHeader.self, from: headerData)
        } catch {
            throw .badHeader(path: path, detail: "header is not a JSON object of {dtype, shape, data_offsets} entries")
        }
        let dataStart = 8 + headerLength
        let dataSize = fileSize - dataStart
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (name, entry) in header.entries {
            tensors[name] = try validate(name: name, entry: entry, dataSize: dataSize, path: path)
        }
        let metadata = header.metadata
        try checkNoOverlap(Array(tensors.values), path: path)
        return Parsed(tensors: tensors, metadata: metadata, dataStart: dataStart)
    }

    /// The header as JSON: tensor entries plus an optional `__metadata__` object of strings.
    /// JSONDecoder refuses non-integer numbers, booleans and strings where integers belong.
    struct RawHeader: Decodable {
        struct Entry: Decodable {
            let dtype: String
            let shape: [Int]
            let data_offsets: [Int]
        }
        struct Key: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if key.stringValue == "__metadata__" {
                    metadata = try container.decode([String: String].self, forKey: key)
                } else {
                    entries[key.stringValue] = try container.decode(Entry.self, forKey: key)
                }
            }
        }
    }

    private static func validate(name: String, entry: RawHeader.Entry, dataSize: Int, path: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
            throw .badTensor(path: path, tensor: name, detail: "unknown dtype '\(entry.dtype)'")
        }
        let shape = entry.shape
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .badTensor(path: path, tensor: name, detail: "shape \(shape) has a negative dimension")
        }
        guard entry.data_offsets.count == 2 else {
            throw .badTensor(path: path, tensor: name, detail: "data_offsets is not a pair of integers")
        }
        let (begin, end) = (entry.data_offsets[0], entry.data_offsets[1])
        guard begin >= 0, begin <= end else {
            throw .badTensor(path: path, tensor: name, detail: "data_offsets [\(begin), \(end)] are not an increasing pair")
        }
        guard end <= dataSize else {
            throw .truncated(path: path, detail: "tensor '\(name)' ends at data byte \(end), the data section has \(dataSize)")
        }
        var byteCount = dtype.byteSize
        for dimension in shape {
            let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .badTensor(path: path, tensor: name, detail: "shape \(shape) overflows") }
            byteCount = product
        }
        guard byteCount == end - begin else {
            throw .badTensor(path: path, tensor: name,
                             detail: "shape \(shape) of \(dtype.rawValue) needs \(byteCount) bytes, data_offsets give \(end - begin)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, dataRange: begin..<end)
    }

    private static func checkNoOverlap(_ tensors: [SafetensorsTensorInfo], path: String) throws(SafetensorsError) {
        let sorted = tensors.filter { !$0.dataRange.isEmpty }.sorted { $0.dataRange.lowerBound < $1.dataRange.lowerBound }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.dataRange.lowerBound < previous.dataRange.upperBound {
            throw .badTensor(path: path, tensor: next.name, detail: "data overlaps tensor '\(previous.name)'")
        }
    }
}
