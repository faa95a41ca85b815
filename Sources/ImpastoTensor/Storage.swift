import Foundation

/// A 64-byte aligned, uninitialised-free block of memory that tensors share.
///
/// Tensors are values from the API's point of view; the only writers after creation are optimizers
/// updating parameters in place, and each such write bumps `version` so that caches derived from the
/// contents (bf16 copies of weights, reordered layouts) know to rebuild.
final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    private(set) var version = 0

    /// Allocates `byteCount` bytes, zero-filled: oneDNN's blocked layouts rely on zero padding.
    init(byteCount: Int) {
        self.byteCount = byteCount
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
        memset(pointer, 0, max(byteCount, 64))
    }

    /// Allocates without clearing, for buffers every byte of which is about to be written.
    init(uninitializedByteCount byteCount: Int) {
        self.byteCount = byteCount
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: 64)
    }

    /// Marks the contents as changed in place.
    func bumpVersion() { version &+= 1 }

    deinit { pointer.deallocate() }
}
