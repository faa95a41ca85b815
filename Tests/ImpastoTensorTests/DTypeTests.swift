import Testing
@testable import ImpastoTensor

/// Storage types other than float32: exact conversions, PyTorch's rounding and truncation, and ops that
/// read them (f16 weights, integer indices) giving the float32 results.
@Suite struct DTypeTests {
    #if !(os(macOS) && arch(x86_64))
    /// Every half bit pattern to float and back, against the standard library's `Float16`.
    @Test func convertsEveryHalf() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = halfToFloat(bits)
            #expect(actual.bitPattern == expected.bitPattern || (actual.isNaN && expected.isNaN), "\(bits)")
            if !actual.isNaN { #expect(floatToHalf(actual) == bits, "\(bits) round trip") }
        }
    }

    /// Rounding to half, nearest even, on values between halves, near the subnormal boundary and past the
    /// largest half, against `Float16(_:)` (IEEE round to nearest even, as PyTorch's `.half()`).
    @Test func roundsToHalfAsIEEE() {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [0, -0, 65504, 65519.99, 65520, 1e6, -1e6, 5.96e-8, 2.98e-8, 2.99e-8, 6.1e-5, 6.09e-5,
                               .infinity, -.infinity, 1.000_488_3, 1.000_976_6, 1.001_464_8]
        for _ in 0..<100_000 {
            values.append(Float(bitPattern: UInt32.random(in: 0x3000_0000...0x4800_0000, using: &generator))
                          * (Bool.random(using: &generator) ? 1 : -1))
        }
        for value in values {
            #expect(floatToHalf(value) == Float16(value).bitPattern, "\(value)")
        }
    }
    #endif

    @Test func integerTensorsKeepTheirValues() {
        let values = [0, -3, 7, 1 << 40, -(1 << 50)]
        let tensor = Tensor(shape: [5], integers: values)
        #expect(tensor.dtype == .i64 && tensor.integers == values)
        #expect(tensor.converted(to: .i32).integers == [0, -3, 7, 0, 0])  // wraps as PyTorch's .int() does
        #expect(Tensor(shape: [2], integers: [300, 255], dtype: .u8).integers == [44, 255])
        #expect(tensor.scalars == values.map(Float.init))
        #expect(tensor.reshaped([5, 1]).dtype == .i64, "a view keeps the type")
    }

    /// Float to integer truncates toward zero; to bool tests for non-zero (PyTorch's `.to(dtype)`).
    @Test func conversionsTruncate() {
        let x = Tensor(shape: [6], scalars: [-2.7, -0.5, 0, 0.5, 2.7, 255.9])
        #expect(x.converted(to: .i64).integers == [-2, 0, 0, 0, 2, 255])
        #expect(x.converted(to: .bool).integers == [1, 1, 0, 1, 1, 1])
        #expect(x.converted(to: .u8).integers == [254, 0, 0, 0, 2, 255])
        #expect(x.converted(to: .f16).scalars == [-2.69921875, -0.5, 0, 0.5, 2.69921875, 255.875])
        #expect(x.converted(to: .bf16).scalars == [-2.703125, -0.5, 0, 0.5, 2.703125, 256])
    }

    /// A half-precision weight convolves like its float32 value, and the gradient reaches a f16 leaf.
    @Test func halfWeightsComputeAsFloat() {
        let input = Tensor(shape: [1, 2, 5, 5], scalars: (0..<50).map { Float($0 % 7) - 3 })
        let weight = Tensor(shape: [3, 2, 3, 3], scalars: (0..<54).map { Float($0 % 5) * 0.3 - 0.6 })
        let half = weight.converted(to: .f16)
        #expect(half.dtype == .f16)
        let expected = conv2d(input, weight: half.plain(), padding: (1, 1)).scalars
        #expect(conv2d(input, weight: half, padding: (1, 1)).scalars == expected)
        #expect(relu(half).scalars == half.scalars.map { max($0, 0) })

        let leaf = half.requiringGradient()
        let gradients = conv2d(input, weight: leaf, padding: (1, 1)).sum().backward()
        let reference = weight.requiringGradient()
        let expectedGradient = conv2d(input, weight: reference, padding: (1, 1)).sum().backward()[reference]!
        #expect(gradients[leaf]?.scalars == expectedGradient.scalars)
    }

    @Test func comparisonsMakeMasks() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), b = Tensor(shape: [2], scalars: [2, 2])
        #expect((a .> b).dtype == .bool)
        #expect((a .> b).integers == [0, 0, 1, 1])
        #expect((a .<= b).integers == [1, 1, 0, 0])
        #expect((a .== b).integers == [0, 1, 0, 0])
        #expect((a .!= b).integers == [1, 0, 1, 1])
        #expect((a .>= 3).integers == [0, 0, 1, 1])
        #expect(which(a .> 2.5, a, Tensor(0)).scalars == [0, 0, 3, 4])
    }

    @Test func samePaddingMatchesTensorFlow() {
        // TensorFlow: out = ⌈in / stride⌉, total = max((out − 1)·stride + k − in, 0), the odd one after.
        #expect(samePadding(size: 8, kernel: 3, stride: 2) == (0, 1))
        #expect(samePadding(size: 9, kernel: 3, stride: 2) == (1, 1))
        #expect(samePadding(size: 256, kernel: 3, stride: 1) == (1, 1))
        #expect(samePadding(size: 5, kernel: 1, stride: 2) == (0, 0))
        #expect(samePadding(size: 7, kernel: 5, stride: 1, dilation: 2) == (4, 4))
    }
}

/// An 8-bit codebook-quantized tensor reads as its codebook's floats everywhere: whole, through views
/// (reshape, slice, transpose, which copies the indices and keeps their codebook), and converted.
@Test func codebookQuantizedTensorsReadAsTheirCodebookEntries() throws {
    let indices = Tensor(shape: [2, 3], integers: [0, 2, 1, 3, 3, 0], dtype: .u8)
    let codebook: [Float] = [-1.5, 0.25, 7, 100]
    let q = try Tensor(indices: indices, codebook: codebook, name: "w")
    #expect(q.dtype == .u8 && q.isCodebookQuantized)
    #expect(q.scalars == [-1.5, 7, 0.25, 100, 100, -1.5])
    #expect(q.reshaped([3, 2]).scalars == q.scalars)
    #expect(q.transposed().scalars == [-1.5, 100, 7, 100, 0.25, -1.5])
    #expect(q.converted(to: .f16).scalars == q.scalars)
    #expect(q.integers == [-1, 7, 0, 100, 100, -1])
    #expect((q * 2).scalars == q.scalars.map { $0 * 2 })
    #expect(throws: ImpastoError.invalidArgument("w indexes entry 3 of a codebook with 3 entries.")) {
        try Tensor(indices: indices, codebook: [1, 2, 3], name: "w")
    }
}

/// A parameter that adopts a compact tensor keeps its identity and reads as the adopted values.
@Test func adoptingKeepsIdentityAndTakesTheStoredType() throws {
    let parameter = Tensor(zeros: [4])
    let half = Tensor(shape: [4], scalars: [1, 0.5, -2, 3], dtype: .f16)
    parameter.adopt(half)
    #expect(parameter.dtype == .f16)
    #expect(parameter.scalars == [1, 0.5, -2, 3])
}
