import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A GGUF (v2/v3) model file, memory-mapped read-only.
///
/// Layout: magic "GGUF", version, tensor count, metadata count, metadata key/values,
/// tensor infos (name, dims, type, relative offset), padding to `alignment`, tensor data.
/// Parsing is bounds-checked throughout: truncated, corrupt or hostile files throw `GGUFError`.
/// Tensor bytes are never copied; `tensorBytes` hands out views into the mapping, valid while this object lives.
public final class GGUFFile: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init and the mapping is read-only.

    public let path: String
    public let version: UInt32
    /// Metadata keys in file order.
    public let metadataKeys: [String]
    public let metadata: [String: GGUFValue]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// `general.alignment`, default 32.
    public let alignment: Int
    /// File offset where tensor data begins.
    public let dataOffset: Int
    public let fileSize: Int

    private let base: UnsafeMutableRawPointer?
    private let tensorIndex: [String: Int]

    /// Maps and parses `path`.
    public init(path: String) throws(GGUFError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(status.st_size)
        var mapped: UnsafeMutableRawPointer?
        if size > 0 {
            let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
            guard let pointer, pointer != MAP_FAILED else {
                throw .cannotOpen(path: path, reason: "mmap failed: " + String(cString: strerror(errno)))
            }
            mapped = pointer
        }
        let bytes = UnsafeRawBufferPointer(start: mapped.map { UnsafeRawPointer($0) }, count: size)
        do {
            let parsed = try GGUFFile.parse(bytes: bytes, path: path)
            self.version = parsed.version
            self.metadataKeys = parsed.keys
            self.metadata = parsed.metadata
            self.tensors = parsed.tensors
            self.alignment = parsed.alignment
            self.dataOffset = parsed.dataOffset
        } catch {
            if let mapped { munmap(mapped, size) }
            throw error
        }
        self.base = mapped
        self.fileSize = size
        var index: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        self.tensorIndex = index
    }

    deinit {
        if let base { munmap(base, fileSize) }
    }

    // MARK: Metadata accessors

    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    public func string(_ key: String) -> String? {
        if case .string(let s)? = metadata[key] { return s }
        return nil
    }

    public func stringArray(_ key: String) -> [String]? {
        if case .array(.string(let a))? = metadata[key] { return a }
        return nil
    }

    /// Any integer-typed value as `Int`.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }

    /// Any float- or integer-typed value as `Float`.
    public func float(_ key: String) -> Float? { metadata[key]?.floatValue.map(Float.init) }

    public func bool(_ key: String) -> Bool? {
        if case .bool(let b)? = metadata[key] { return b }
        return nil
    }

    /// Any integer-typed array as `[Int]`.
    public func intArray(_ key: String) -> [Int]? {
        if case .array(let a)? = metadata[key] { return a.intValues }
        return nil
    }

    public func floatArray(_ key: String) -> [Float]? {
        if case .array(let a)? = metadata[key] { return a.floatValues }
        return nil
    }

    /// Like `string(_:)` but throws a clear error when the key is missing or has another type.
    public func requireString(_ key: String) throws(GGUFError) -> String {
        guard let v = string(key) else { throw .missingKey(path: path, key: key) }
        return v
    }

    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let v = int(key) else { throw .missingKey(path: path, key: key) }
        return v
    }

    public func requireFloat(_ key: String) throws(GGUFError) -> Float {
        guard let v = float(key) else { throw .missingKey(path: path, key: key) }
        return v
    }

    // MARK: Tensors

    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    public func requireTensor(named name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let info = tensor(named: name) else { throw .missingTensor(path: path, name: name) }
        return info
    }

    /// The stored bytes of a tensor (a view into the mapping; valid while this `GGUFFile` is alive).
    public func tensorBytes(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(base) + info.fileOffset, count: info.byteCount)
    }

    /// The stored bytes of the tensor called `name`.
    public func tensorBytes(named name: String) throws(GGUFError) -> UnsafeRawBufferPointer {
        tensorBytes(try requireTensor(named: name))
    }

    // MARK: Parsing

    private struct Parsed {
        var version: UInt32
        var keys: [String]
        var metadata: [String: GGUFValue]
        var tensors: [GGUFTensorInfo]
        var alignment: Int
        var dataOffset: Int
    }

    /// Nesting limit for arrays of arrays; deeper nesting is treated as corruption.
    private static let maximumArrayDepth = 4
    private static let maximumDimensions = 8

    private static func parse(bytes: UnsafeRawBufferPointer, path: String) throws(GGUFError) -> Parsed {
        var reader = GGUFReader(bytes: bytes, path: path)
        guard bytes.count >= 4 else { throw .notGGUF(path: path) }
        let magic = try reader.read(UInt32.self)
        guard magic == 0x4655_4747 else { throw .notGGUF(path: path) }  // "GGUF" little-endian
        let version = try reader.read(UInt32.self)
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        // Each tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes.
        let tensorCount = try reader.readCount(unit: 24)
        // Each metadata entry takes at least 8 (key length) + 4 (type) + 1 byte.
        let metadataCount = try reader.readCount(unit: 13)

        var keys: [String] = []
        var metadata: [String: GGUFValue] = [:]
        keys.reserveCapacity(metadataCount)
        for _ in 0..<metadataCount {
            let key = try reader.readString()
            let rawType = try reader.read(UInt32.self)
            let value = try readValue(rawType: rawType, reader: &reader, depth: 0)
            if metadata[key] != nil { throw .corrupt(path: path, reason: "duplicate metadata key '\(key)'") }
            keys.append(key)
            metadata[key] = value
        }

        var alignment = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
                throw .corrupt(path: path, reason: "general.alignment must be a power of two")
            }
            alignment = a
        }

        struct RawTensor { var name: String; var dims: [Int]; var type: GGMLType; var offset: Int; var bytes: Int }
        var raw: [RawTensor] = []
        raw.reserveCapacity(tensorCount)
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let name = try reader.readString()
            let dimensionCount = Int(try reader.read(UInt32.self))
            guard (1...maximumDimensions).contains(dimensionCount) else {
                throw .corrupt(path: path, reason: "tensor '\(name)' has \(dimensionCount) dimensions")
            }
            var dims: [Int] = []
            var elements = 1
            for _ in 0..<dimensionCount {
                let d = try reader.read(UInt64.self)
                guard d > 0, d <= UInt64(Int32.max) else {
                    throw .corrupt(path: path, reason: "tensor '\(name)' has dimension \(d)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(d))
                guard !overflow, product <= bytes.count * 256 else {
                    throw .corrupt(path: path, reason: "tensor '\(name)' is larger than the file")
                }
                elements = product
                dims.append(Int(d))
            }
            let rawType = try reader.read(UInt32.self)
            guard let type = GGMLType(rawValue: rawType) else {
                throw .unsupportedTensorType(path: path, tensor: name, rawType: rawType)
            }
            guard let rowBytes = type.rowByteCount(elements: dims[0]) else {
                throw .corrupt(path: path, reason: "tensor '\(name)' row length \(dims[0]) is not a multiple of the \(type) block size \(type.blockSize)")
            }
            let (byteCount, overflow) = rowBytes.multipliedReportingOverflow(by: elements / dims[0])
            guard !overflow else { throw .corrupt(path: path, reason: "tensor '\(name)' is larger than the file") }
            let offset = try reader.read(UInt64.self)
            guard offset <= UInt64(bytes.count), Int(offset) % alignment == 0 else {
                throw .corrupt(path: path, reason: "tensor '\(name)' has offset \(offset) (outside the file or not aligned to \(alignment))")
            }
            guard names.insert(name).inserted else { throw .corrupt(path: path, reason: "duplicate tensor '\(name)'") }
            raw.append(RawTensor(name: name, dims: dims, type: type, offset: Int(offset), bytes: byteCount))
        }

        let headerEnd = reader.offset
        let dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for t in raw {
            let start = dataOffset + t.offset
            guard start <= bytes.count, t.bytes <= bytes.count - start else {
                throw .truncated(path: path, offset: start, needed: t.bytes)
            }
            tensors.append(GGUFTensorInfo(name: t.name, dimensions: t.dims, type: t.type, fileOffset: start, byteCount: t.bytes))
        }
        try checkNoOverlap(tensors, path: path)
        return Parsed(version: version, keys: keys, metadata: metadata, tensors: tensors, alignment: alignment, dataOffset: dataOffset)
    }

    /// Two tensors sharing bytes would let a crafted file alias weights; the safetensors reader refuses it too.
    private static func checkNoOverlap(_ tensors: [GGUFTensorInfo], path: String) throws(GGUFError) {
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { $0.fileOffset < $1.fileOffset }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.fileOffset < previous.fileOffset + previous.byteCount {
            throw .corrupt(path: path, reason: "tensor '\(next.name)' overlaps tensor '\(previous.name)'")
        }
    }

    private static func readValue(rawType: UInt32, reader: inout GGUFReader, depth: Int) throws(GGUFError) -> GGUFValue {
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .corrupt(path: reader.path, reason: "unknown metadata value type \(rawType) at offset \(reader.offset - 4)")
        }
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self))
        case .int8: return .int8(try reader.read(Int8.self))
        case .uint16: return .uint16(try reader.read(UInt16.self))
        case .int16: return .int16(try reader.read(Int16.self))
        case .uint32: return .uint32(try reader.read(UInt32.self))
        case .int32: return .int32(try reader.read(Int32.self))
        case .float32: return .float32(try reader.readFloat())
        case .bool: return .bool(try reader.readBool())
        case .string: return .string(try reader.readString())
        case .uint64: return .uint64(try reader.read(UInt64.self))
        case .int64: return .int64(try reader.read(Int64.self))
        case .float64: return .float64(try reader.readDouble())
        case .array: return .array(try readArray(reader: &reader, depth: depth + 1))
        }
    }

    private static func readArray(reader: inout GGUFReader, depth: Int) throws(GGUFError) -> GGUFArray {
        guard depth <= maximumArrayDepth else {
            throw .corrupt(path: reader.path, reason: "arrays nested deeper than \(maximumArrayDepth) levels")
        }
        let rawType = try reader.read(UInt32.self)
        guard let type = GGUFValueType(rawValue: rawType) else {
            throw .corrupt(path: reader.path, reason: "unknown array element type \(rawType) at offset \(reader.offset - 4)")
        }
        let count = try reader.readCount(unit: type.minimumEncodedSize)
        func many<T>(_ read: (inout GGUFReader) throws(GGUFError) -> T) throws(GGUFError) -> [T] {
            var result: [T] = []
            result.reserveCapacity(count)
            for _ in 0..<count { result.append(try read(&reader)) }
            return result
        }
        switch type {
        case .uint8: return .uint8(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(UInt8.self) })
        case .int8: return .int8(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(Int8.self) })
        case .uint16: return .uint16(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(UInt16.self) })
        case .int16: return .int16(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(Int16.self) })
        case .uint32: return .uint32(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(UInt32.self) })
        case .int32: return .int32(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(Int32.self) })
        case .float32: return .float32(try many { (r: inout GGUFReader) throws(GGUFError) in try r.readFloat() })
        case .bool: return .bool(try many { (r: inout GGUFReader) throws(GGUFError) in try r.readBool() })
        case .string: return .string(try many { (r: inout GGUFReader) throws(GGUFError) in try r.readString() })
        case .uint64: return .uint64(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(UInt64.self) })
        case .int64: return .int64(try many { (r: inout GGUFReader) throws(GGUFError) in try r.read(Int64.self) })
        case .float64: return .float64(try many { (r: inout GGUFReader) throws(GGUFError) in try r.readDouble() })
        case .array: return .array(try many { (r: inout GGUFReader) throws(GGUFError) in try readArray(reader: &r, depth: depth + 1) })
        }
    }
}
