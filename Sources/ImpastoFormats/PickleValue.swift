#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A Python value as the restricted unpickler builds it: plain data, containers, and the few torch
/// objects a state dict is made of. Nothing here can run code.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too wide for `Int`, as little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    case global(PickleGlobal)
    /// An object of an allowed type that is neither a container nor a tensor (a numpy scalar or dtype),
    /// kept by its type's name only: nothing Impasto reads from a checkpoint needs its value.
    case object(String)
    case storage(StorageReference)
    case tensor(TensorReference)

    /// The items of a tuple, or nil for anything else.
    var tupleItems: [PickleValue]? {
        if case let .tuple(tuple) = self { tuple.items } else { nil }
    }

    /// The elements of a tuple of integers (how torch pickles `torch.Size` and strides).
    var integers: [Int]? {
        guard let items = tupleItems else { return nil }
        var values: [Int] = []
        for item in items {
            guard case let .int(value) = item else { return nil }
            values.append(value)
        }
        return values
    }

    /// How many containers deep this value nests: 0 for anything that is not a container.
    var depth: Int {
        switch self {
        case let .tuple(tuple): tuple.depth
        case let .list(list): list.depth
        case let .dict(dict): dict.depth
        default: 0
        }
    }
}

/// A pickled tuple. A class like lists and dicts, so that its deinit can free its items iteratively
/// (see `releaseIteratively`).
final class PickleTuple {
    private(set) var items: [PickleValue]
    /// One more than the deepest item's depth; exact, since a tuple never changes.
    let depth: Int

    init(_ items: [PickleValue]) {
        self.items = items
        depth = 1 + (items.lazy.map(\.depth).max() ?? 0)
    }

    deinit { releaseIteratively(&items) }
}

/// A pickled list; a class because pickles fill lists after memoizing them.
final class PickleList {
    private(set) var items: [PickleValue] = []
    /// One more than the deepest item's depth when it was added. A list already inside another container
    /// when it is filled does not update that container's depth, so this bounds ordinary nesting, not
    /// every graph a pickle can make; freeing is iterative either way.
    private(set) var depth = 1

    func append(contentsOf values: some Collection<PickleValue>) {
        items.append(contentsOf: values)
        depth = max(depth, 1 + (values.lazy.map(\.depth).max() ?? 0))
    }

    /// Drops the items (see `PickleArena`).
    func removeAll() {
        var dropped: [PickleValue] = []
        swap(&dropped, &items)
        releaseIteratively(&dropped)
    }

    deinit { releaseIteratively(&items) }
}

/// A pickled dict (or OrderedDict), in insertion order; a class for the same reason as `PickleList`.
final class PickleDict {
    private(set) var items: [(key: PickleValue, value: PickleValue)] = []
    /// As for `PickleList`.
    private(set) var depth = 1

    func append(key: PickleValue, value: PickleValue) {
        items.append((key, value))
        depth = max(depth, 1 + key.depth, 1 + value.depth)
    }

    /// Drops the items (see `PickleArena`).
    func removeAll() {
        var values = items.flatMap { [$0.key, $0.value] }
        items = []
        releaseIteratively(&values)
    }

    deinit { removeAll() }
}

/// The lists and dicts the unpickler builds for one file. A pickle can make a container hold itself (an empty
/// dict memoized, fetched back and stored into itself): reference counting never frees such a cycle, so each
/// such file would leak, and a service parsing uploads would grow without bound (libFuzzer's leak checker
/// found it). A file's reader keeps its containers here and calls `release()` when it is done with their
/// values, which empties them all and so breaks every cycle. Tuples need no entry: their items exist before
/// them and never change, so a cycle always runs through a list or a dict.
final class PickleArena {
    private var lists: [PickleList] = []
    private var dicts: [PickleDict] = []

    func list() -> PickleList {
        let list = PickleList()
        lists.append(list)
        return list
    }

    func dict() -> PickleDict {
        let dict = PickleDict()
        dicts.append(dict)
        return dict
    }

    /// Empties every container; values read from them before stay valid, the containers become empty.
    func release() {
        for list in lists { list.removeAll() }
        for dict in dicts { dict.removeAll() }
        lists = []
        dicts = []
    }
}

/// Drops `values` without recursion; every container's deinit hands its items here.
///
/// Freeing a container frees its items, which may be containers in turn: left to Swift, a pickle of
/// 10⁵ nested tuples (one byte per level) takes 10⁵ nested deinits and overflows the stack. Instead,
/// the first call on a thread drains a work list, and the deinits that dropping its values sets off
/// only add their items to that list and return, so the stack never holds more than one level.
func releaseIteratively(_ values: inout [PickleValue]) {
    guard !values.isEmpty else { return }
    if let active = pthread_getspecific(releaseQueueKey) {
        Unmanaged<ReleaseQueue>.fromOpaque(active).takeUnretainedValue().pending += values
        values = []
        return
    }
    let queue = ReleaseQueue()
    swap(&queue.pending, &values)
    pthread_setspecific(releaseQueueKey, Unmanaged.passUnretained(queue).toOpaque())
    defer { pthread_setspecific(releaseQueueKey, nil) }
    while !queue.pending.isEmpty {
        _ = queue.pending.removeLast() // a container whose last reference this was queues its items here
    }
}

/// The values a thread is freeing, while `releaseIteratively` drains them.
private final class ReleaseQueue {
    var pending: [PickleValue] = []
}

/// Where each thread finds its `ReleaseQueue` while one is draining (nil otherwise).
private let releaseQueueKey: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "the system has no thread-specific key left")
    return key
}()

/// The only globals a pickle may name: what `torch.save` needs for a state dict, and what numpy
/// scalars saved beside the tensors (an accuracy, a step count) are made of.
enum PickleGlobal {
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2`, or `_rebuild_tensor` before it: same leading arguments.
    case rebuildTensor
    /// `torch._utils._rebuild_parameter(_with_state)`: a parameter is its tensor to us.
    case rebuildParameter
    /// A typed storage class such as `torch.FloatStorage`, which torch ≥ 2 still writes.
    case storageType(ElementType)
    /// `numpy.dtype`, called with a type code such as "f8" to describe a numpy scalar.
    case numpyDType
    /// `numpy.core.multiarray.scalar` (`numpy._core` since numpy 2): a numpy scalar from its dtype and bytes.
    case numpyScalar
    /// `_codecs.encode`: how protocol 2 writes `bytes`, as a latin-1 string to encode.
    case encode

    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            self = .rebuildParameter
        case ("torch", _):
            guard let type = ElementType(torchStorage: name) else { return nil }
            self = .storageType(type)
        case ("numpy", "dtype"): self = .numpyDType
        case ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"): self = .numpyScalar
        case ("_codecs", "encode"): self = .encode
        default: return nil
        }
    }
}
