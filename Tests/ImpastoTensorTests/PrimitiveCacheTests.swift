internal import CDNNL
import Testing
@testable import ImpastoTensor

/// A reorder between two layouts of `shape`: a real primitive with no scratchpad, so it counts as the overhead.
private func reorder(_ shape: [Int]) -> dnnl_primitive_desc_t {
    var source = DNNL.plainDescriptor(shape), target = DNNL.plainDescriptor(shape, .bf16)
    var descriptor: dnnl_primitive_desc_t?
    DNNL.check(dnnl_reorder_primitive_desc_create(&descriptor, &source, DNNL.engine, &target, DNNL.engine, nil), "reorder")
    return descriptor!
}

/// The cache keeps what was used last and stays within its budget, whatever sizes come through.
@Test func primitiveCacheEvictsTheLeastRecentlyUsedBeyondItsBudget() {
    let cache = PrimitiveCache(budgetBytes: 3 * PrimitiveCache.overheadBytes)
    let keys = (1...5).map { PrimitiveKey("reorder", integers: [$0]) }
    let first = cache.primitive(for: keys[0]) { reorder([1, 1]) }
    _ = cache.primitive(for: keys[1]) { reorder([1, 2]) }
    _ = cache.primitive(for: keys[2]) { reorder([1, 3]) }
    #expect(cache.count == 3 && cache.totalBytes == 3 * PrimitiveCache.overheadBytes)
    // Using the first again makes the second the oldest; a fourth shape pushes that one out.
    #expect(cache.primitive(for: keys[0]) { reorder([1, 1]) } === first)
    _ = cache.primitive(for: keys[3]) { reorder([1, 4]) }
    #expect(cache.count == 3)
    #expect(cache.primitive(for: keys[0]) { Issue.record("the most recently used entry was evicted"); return reorder([1, 1]) } === first)
    var rebuilt = false
    _ = cache.primitive(for: keys[1]) { rebuilt = true; return reorder([1, 2]) }
    #expect(rebuilt, "the least recently used entry was kept")
    #expect(cache.count == 3 && cache.totalBytes <= 3 * PrimitiveCache.overheadBytes)
    // An evicted primitive its user still holds stays valid.
    #expect(first.implementation.contains("reorder") || !first.implementation.isEmpty)
}
