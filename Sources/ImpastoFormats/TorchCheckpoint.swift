import Foundation
import ImpastoTensor

/// Reads PyTorch checkpoints (`torch.save` files) without Python and without running any of their code.
public enum TorchCheckpoint {
    /// The tensors in the checkpoint at `url`, converted to float32 and keyed by their state-dict names.
    ///
    /// Reads the ZIP format of torch ≥ 1.6 and the legacy format before it. Dictionaries nested in the
    /// top-level one (`{"state_dict": {...}}`) flatten to "."-joined keys; entries that are not tensors
    /// (an epoch number, a name) are skipped. Views are copied out contiguously; integer tensors such as
    /// `num_batches_tracked` become float32 like the rest.
    ///
    /// The pickle inside is read by a restricted unpickler that only builds values and knows only the
    /// globals a state dict needs (and numpy scalars, which training scripts save beside it); any other
    /// global throws `ImpastoError.forbiddenPickleGlobal`. The limits below bound what a small hostile
    /// file can make the loader do; each is far beyond any real checkpoint.
    public static func load(contentsOf url: URL) throws -> [String: Tensor] {
        try decodingFile(at: url) { bytes in
            guard !bytes.isEmpty else { throw FormatError.malformed("the file is empty") }
            if ZipArchive.looksLikeZip(bytes) { return try loadZip(bytes) }
            // Legacy checkpoints are a sequence of protocol-2 pickles, each opening with PROTO.
            if bytes.first == 0x80 { return try loadLegacy(bytes) }
            throw FormatError.malformed("it is neither a ZIP-format nor a legacy PyTorch checkpoint")
        }
    }

    /// torch ≥ 1.6: `<name>/data.pkl` holds the object, each storage is the entry `<name>/data/<key>`.
    private static func loadZip(_ bytes: UnsafeRawBufferPointer) throws -> [String: Tensor] {
        let archive = try ZipArchive(bytes)
        guard let pickleName = archive.names.first(where: {
            $0.hasSuffix("/data.pkl") && $0.firstIndex(of: "/") == $0.lastIndex(of: "/")
        }), let pickle = try archive.contents(of: pickleName) else {
            throw FormatError.malformed("its ZIP archive has no data.pkl, so it is not a PyTorch checkpoint")
        }
        let prefix = pickleName.dropLast("data.pkl".count)
        if let byteOrder = try archive.contents(of: prefix + "byteorder"), !byteOrder.elementsEqual("little".utf8) {
            throw FormatError.malformed("it stores big-endian tensors")
        }
        var reader = ByteReader(pickle, part: "its pickled state dict")
        let arena = PickleArena()
        defer { arena.release() }
        let root = try Unpickler.load(&reader, arena: arena) { id in .storage(try storageID(id, fieldCount: 5).storage) }
        return try tensors(in: root, fileSize: bytes.count) { storage in
            guard let data = try archive.contents(of: prefix + "data/" + storage.key) else {
                throw FormatError.malformed("its storage \(storage.key) is missing from the archive")
            }
            return data
        }
    }

    /// The magic number opening a legacy checkpoint, as LONG1 bytes.
    private static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

    /// torch < 1.6: pickles of the magic number, protocol version, system info, the object (storages as
    /// persistent ids) and the storage keys, then each storage as an int64 element count and raw data.
    private static func loadLegacy(_ bytes: UnsafeRawBufferPointer) throws -> [String: Tensor] {
        var reader = ByteReader(bytes, part: "its pickled header")
        let arena = PickleArena()
        defer { arena.release() }
        guard case let .bigInt(magic) = try Unpickler.load(&reader, arena: arena), magic == legacyMagic else {
            throw FormatError.malformed("it does not start with PyTorch's magic number")
        }
        _ = try Unpickler.load(&reader, arena: arena) // protocol version, 1001 since 2017
        if case let .dict(systemInfo) = try Unpickler.load(&reader, arena: arena),
           systemInfo.items.contains(where: { $0.key.string == "little_endian" && $0.value.isFalse }) {
            throw FormatError.malformed("it stores big-endian tensors")
        }

        reader.part = "its pickled state dict"
        var roots: [String: (type: ElementType, count: Int)] = [:]
        let root = try Unpickler.load(&reader, arena: arena) { id in
            let (storage, view) = try storageID(id, fieldCount: 6)
            let (key, type, count) = (storage.key, storage.type, storage.count)
            if let known = roots[key], known != (type, count) {
                throw FormatError.malformed("its storage \(key) is declared twice, differently")
            }
            roots[key] = (type, count)
            // Pre-1.0 files may name a view (view key, element offset, element count) into a root storage.
            guard let view = view?.tupleItems else { return .storage(storage) }
            guard view.count == 3, case let .int(offset) = view[1], case let .int(viewCount) = view[2],
                  offset >= 0, viewCount >= 0, offset <= count, viewCount <= count - offset else {
                throw FormatError.malformed("its pickle refers to a storage view outside its storage")
            }
            return .storage(StorageReference(key: key, type: type, offset: offset, count: viewCount))
        }

        guard case let .list(keys) = try Unpickler.load(&reader, arena: arena) else {
            throw FormatError.malformed("its list of storage keys is missing")
        }
        reader.part = "its tensor data"
        var storages: [String: UnsafeRawBufferPointer] = [:]
        for case let .string(key) in keys.items {
            guard let (type, count) = roots[key] else {
                throw FormatError.malformed("it stores data for storage \(key), which no tensor uses")
            }
            guard try reader.integer(Int64.self) == count else {
                throw FormatError.malformed("the data of storage \(key) does not have the size its pickle declares")
            }
            storages[key] = try reader.take(count * type.byteSize)
        }
        return try tensors(in: root, fileSize: bytes.count) { storage in
            guard let data = storages[storage.key] else {
                throw FormatError.malformed("the data of storage \(storage.key) is missing")
            }
            let size = storage.type.byteSize
            return UnsafeRawBufferPointer(rebasing: data[storage.offset * size..<(storage.offset + storage.count) * size])
        }
    }

    /// Reads a storage's persistent id: ('storage', storage type, key, location, element count), followed
    /// in legacy files by view metadata or None.
    private static func storageID(_ id: PickleValue, fieldCount: Int) throws -> (storage: StorageReference, view: PickleValue?) {
        guard let fields = id.tupleItems, fields.count == fieldCount, case .string("storage") = fields[0],
              case let .global(.storageType(type)) = fields[1], case let .string(key) = fields[2],
              case let .int(count) = fields[4], count >= 0, count <= Int.max / 8 else {
            throw FormatError.malformed("its pickle refers to a storage in a form torch.save does not write")
        }
        return (StorageReference(key: key, type: type, offset: 0, count: count), fields.count > 5 ? fields[5] : nil)
    }

    /// Walks the unpickled object and copies every tensor out of its storage, whose bytes `storageData`
    /// finds. Nothing is copied before the whole walk is within the limits (`fileSize` is the checkpoint's).
    private static func tensors(
        in root: PickleValue, fileSize: Int, storageData: (StorageReference) throws -> UnsafeRawBufferPointer
    ) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (name, tensor) in try tensorReferences(in: root, fileSize: fileSize) {
            result[name] = try tensor.materialize(name: name, from: try storageData(tensor.storage))
        }
        return result
    }

    /// The tensors of the unpickled object under their flattened names, after checking every shape and
    /// the limits on entries and expansion.
    private static func tensorReferences(in root: PickleValue, fileSize: Int) throws -> [(String, TensorReference)] {
        guard case let .dict(top) = root else {
            throw FormatError.malformed("it holds no dictionary of tensors")
        }
        var found: [(String, TensorReference)] = []
        var entries = 0
        var floatBytes = 0
        let byteBudget = maximumExpansion * fileSize + expansionAllowance
        // Depth-limited: memo references can make a pickled dict contain itself.
        func collect(_ dict: PickleDict, prefix: String, depth: Int) throws {
            guard depth < 64 else { throw FormatError.malformed("its dictionaries nest more than 64 deep") }
            entries += dict.items.count
            guard entries <= maximumEntries else {
                throw FormatError.malformed("its dictionaries hold more than \(maximumEntries) entries, counting shared ones each time they are reached")
            }
            for (key, value) in dict.items {
                guard let name = key.string ?? key.integerString.map({ $0 }) else { continue }
                switch value {
                case let .tensor(tensor):
                    // Each count is at most maximumTensorBytes / 4, so the sum cannot overflow before it is caught.
                    floatBytes += 4 * (try checkedElementCount(tensor.shape, name: prefix + name))
                    guard floatBytes <= byteBudget else {
                        throw FormatError.malformed("with tensor '\(prefix + name)' its tensors take \(floatBytes) bytes as float32, more than \(maximumExpansion) times the file's size and \(expansionAllowance >> 20) MiB besides: views that repeat or share storage that much are refused")
                    }
                    found.append((prefix + name, tensor))
                case let .dict(nested): try collect(nested, prefix: prefix + name + ".", depth: depth + 1)
                default: continue
                }
            }
        }
        try collect(top, prefix: "", depth: 0)
        return found
    }
}

// MARK: - Limits

extension TorchCheckpoint {
    /// How deep tuples, lists and dicts may nest in a checkpoint's pickle (state dicts nest fewer than ten
    /// levels). Deeper is refused as it is built; 10⁵ levels take only 100 KB of pickle.
    public static let maximumNesting = 1000

    /// How many dictionary entries loading may visit, counting a dict that is reached along several paths
    /// each time. A state dict has thousands; a pickle whose every level holds the level below twice (a
    /// few bytes a level, through the memo) would otherwise make 64 levels take 2⁶⁴ visits. At 10⁶ such a
    /// 1 KB file still took 0.84 s to refuse (28 s under AddressSanitizer, found by FuzzZip); 10⁵ is 0.08 s.
    public static let maximumEntries = 100_000

    /// The float32 copies of a checkpoint's tensors may take at most this many times the file's size,
    /// plus `expansionAllowance`. Every stored element becomes at most 4 bytes (from 1-byte types), and
    /// tied weights count once per name; a stride-0 view or a tensor reached along many paths could
    /// otherwise turn a 600-byte file into gigabytes.
    public static let maximumExpansion = 16

    /// Expansion every checkpoint may use, however small: 64 MiB, for broadcast buffers and the like.
    public static let expansionAllowance = 64 << 20
}

/// A run of elements a pickle refers to through a persistent id: the storage `key` (a ZIP entry
/// name or a legacy storage key), starting `offset` elements into it.
struct StorageReference {
    let key: String
    let type: ElementType
    let offset: Int
    let count: Int
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided window into a storage.
struct TensorReference {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]

    /// A contiguous copy (in the storage's type, or float32 when strided or of a type tensors do not
    /// hold), after checking that every element lies inside `data`.
    func materialize(name: String, from data: UnsafeRawBufferPointer) throws -> Tensor {
        let type = storage.type
        guard data.count == storage.count * type.byteSize else {
            throw FormatError.malformed("the storage of tensor '\(name)' has \(data.count) bytes, not the \(storage.count * type.byteSize) its pickle declares")
        }
        guard shape.count == strides.count else {
            throw FormatError.malformed("tensor '\(name)' has \(shape.count) sizes but \(strides.count) strides")
        }
        let count = try checkedElementCount(shape, name: name)
        guard offset >= 0, strides.allSatisfy({ $0 >= 0 }) else {
            throw FormatError.malformed("tensor '\(name)' has an impossible offset \(offset) or strides \(strides)")
        }
        guard count > 0 else { return Tensor(zeros: shape) }
        // The offset of the last element, overflow-checked: a stride of 2⁶² must not wrap back inside.
        var last = offset
        for (size, stride) in zip(shape, strides) {
            let (step, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            guard !overflow, last <= Int.max - step else { last = Int.max; break }
            last += step
        }
        guard last < storage.count, let source = data.baseAddress else {
            throw FormatError.malformed("tensor '\(name)' of shape \(shape) reaches past the end of its storage")
        }
        if isRowMajor(shape: shape, strides: strides) {
            return type.tensor(shape: shape, contiguousAt: source + offset * type.byteSize)
        }
        return Tensor(shape: shape) { destination in
            copyStrided(from: source + offset * type.byteSize, type: type, shape: shape, strides: strides,
                        to: destination.baseAddress!)
        }
    }
}

/// Whether `strides` lay `shape` out row-major and contiguous (sizes of 1 may have any stride).
private func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
    var contiguousStride = 1
    for (size, stride) in zip(shape, strides).reversed() where size != 1 {
        if stride != contiguousStride { return false }
        contiguousStride *= size
    }
    return true
}

/// Copies a strided tensor into row-major float32, one innermost row at a time.
private func copyStrided(from source: UnsafeRawPointer, type: ElementType, shape: [Int], strides: [Int],
                         to destination: UnsafeMutablePointer<Float>) {
    let count = shape.reduce(1, *)
    guard let rowLength = shape.last else {
        type.convert(source, count: count, stride: 1, into: destination)
        return
    }
    let rowStride = strides[strides.count - 1]
    var position = StridedOffsets(shape: Array(shape.dropLast()), strides: [Array(strides.dropLast())])
    for row in 0..<count / rowLength {
        type.convert(source + position.offsets[0] * type.byteSize, count: rowLength, stride: rowStride,
                     into: destination + row * rowLength)
        position.advance()
    }
}

private extension PickleValue {
    var string: String? {
        if case let .string(value) = self { value } else { nil }
    }

    /// Integer keys (optimizer state uses them) as text.
    var integerString: String? {
        if case let .int(value) = self { String(value) } else { nil }
    }

    var isFalse: Bool {
        if case .bool(false) = self { true } else { false }
    }
}
