@testable import ImpastoFormats
import Testing

@Suite struct ElementTypeTests {
    #if !(os(macOS) && arch(x86_64))
    /// Every half bit pattern, against the standard library's conversion (zeros, subnormals, infinities, NaNs).
    @Test func convertsEveryHalf() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = halfToFloat(bits)
            #expect(actual.bitPattern == expected.bitPattern || (actual.isNaN && expected.isNaN), "\(bits)")
        }
    }
    #endif

    @Test func convertsStridedIntegers() {
        let source: [Int64] = [-5, 99, 7, 99, 1 << 40]
        var result = [Float](repeating: 0, count: 3)
        source.withUnsafeBytes { bytes in
            ElementType.i64.convert(bytes.baseAddress!, count: 3, stride: 2, into: &result)
        }
        #expect(result == [-5, 7, Float(1 << 40)])
    }
}
