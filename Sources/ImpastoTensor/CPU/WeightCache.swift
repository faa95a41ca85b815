internal import CDNNL
import Foundation

/// Weights converted to the layout and type a primitive wants (blocked, bf16), made once and reused
/// while the weight's contents stay the same: reordering VGG-19's weights on every call would cost
/// more than some of its convolutions.
///
/// Entries are keyed by the weight's storage, its offset and the two descriptors, and remember the
/// storage version they were made from; `assign`/`mutate` bump it, so an optimizer step rebuilds them.
/// The storage is held weakly: once a weight is gone, its entries are swept on the next miss.
final class WeightCache: @unchecked Sendable {
    static let shared = WeightCache()

    private struct Key: Hashable {
        let storage: ObjectIdentifier
        let offset: Int
        let descriptors: PrimitiveKey
    }

    private struct Entry {
        weak var memory: HostMemory?
        let version: Int
        let weights: Tensor
    }

    private var entries: [Key: Entry] = [:]
    private let lock = NSLock()

    /// `weight`'s elements seen through `source` (oneDNN's dimensions over the caller's memory order,
    /// float32), converted to `target`.
    func weights(_ weight: Tensor, viewedAs source: dnnl_memory_desc_t, in target: dnnl_memory_desc_t) -> Tensor {
        let key = Key(storage: weight.storage.identity, offset: weight.offset,
                      descriptors: PrimitiveKey("weights", descriptors: [source, target]))
        lock.lock()
        defer { lock.unlock() }
        if let entry = entries[key], entry.memory === weight.storage.host, entry.version == weight.contentVersion {
            return entry.weights
        }
        let plain = weight.plain()
        let view = Tensor(shape: DNNL.dimensions(of: source), storage: plain.storage, offset: plain.offset,
                          layout: .dnnl(source))
        // Already in the wanted form: caching the view would keep the weight's storage alive forever. A weight
        // stored in another type (f16, codebook-quantized u8) was converted by `plain()`: that copy is kept.
        let sameForm = DNNL.equal(source, target)
        if sameForm && plain === weight { return view }
        entries = entries.filter { $0.value.memory != nil }
        let converted = sameForm ? view : DNNL.reorder(view, to: target)
        entries[key] = Entry(memory: weight.storage.host, version: weight.contentVersion, weights: converted)
        return converted
    }

    /// The number of converted weights held, for tests.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
