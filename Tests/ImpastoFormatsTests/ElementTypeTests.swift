@testable import ImpastoFormats
import Testing

@Suite struct ElementTypeTests {
    @Test func convertsStridedIntegers() {
        let source: [Int64] = [-5, 99, 7, 99, 1 << 40]
        var result = [Float](repeating: 0, count: 3)
        source.withUnsafeBytes { bytes in
            ElementType.i64.convert(bytes.baseAddress!, count: 3, stride: 2, into: &result)
        }
        #expect(result == [-5, 7, Float(1 << 40)])
    }
}
