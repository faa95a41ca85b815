import ImpastoTensor

/// Decodes a `.tflite` file's FlatBuffer into a `TFLiteModel`. Field numbers are the schema's
/// (tensorflow/lite/schema/schema.fbs, in declaration order; a union field takes two numbers, its type
/// and then its value).
struct TFLiteReader {
    let buffer: FlatBuffer

    init(_ bytes: UnsafeRawBufferPointer) {
        buffer = FlatBuffer(bytes: bytes)
    }

    func model() throws -> TFLiteModel {
        // The root offset, then the file identifier.
        guard buffer.bytes.count >= 8, Array(buffer.bytes[4..<8]) == Array("TFL3".utf8) else {
            throw FormatError.malformed("it is not a TensorFlow Lite model (its bytes 4 to 8 are not the identifier TFL3)")
        }
        let root = try buffer.root("its model table")
        let codes = try root.tables(1, "its operator codes") { "operator code \($0)" }.map(operatorCode)
        let buffers = try root.tables(4, "its buffer list") { "buffer \($0)" }
        let subgraphs = try root.tables(2, "its subgraph list") { "subgraph \($0)" }.enumerated().map { index, table in
            try subgraph(table, index: index, codes: codes, buffers: buffers)
        }
        guard !subgraphs.isEmpty else { throw FormatError.malformed("it has no subgraph") }
        return TFLiteModel(version: Int(try root.scalar(0, default: UInt32(0))),
                           description: try root.string(3, "its description") ?? "", subgraphs: subgraphs)
    }

    /// Built-in codes above 127 live only in the int32 field (3); older files have only the int8 one (0),
    /// and newer writers fill both. TensorFlow Lite takes the larger of the two, and so does this.
    private func operatorCode(_ table: FlatTable) throws -> TFLiteOperatorCode {
        let code = max(Int32(try table.scalar(0, default: Int8(0))), try table.scalar(3, default: Int32(0)))
        guard code == TFLiteBuiltinOperator.custom.rawValue else { return .builtin(TFLiteBuiltinOperator(rawValue: code)) }
        guard let name = try table.string(1, table.what + "'s custom name") else {
            throw FormatError.malformed("\(table.what) is a custom operator without a name")
        }
        return .custom(name)
    }

    private func subgraph(_ table: FlatTable, index: Int, codes: [TFLiteOperatorCode],
                          buffers: [FlatTable]) throws -> TFLiteSubgraph {
        let what = "subgraph \(index)"
        let tensors = try table.tables(0, "the tensor list of \(what)") { "tensor \($0) of \(what)" }
            .map { try tensor($0, buffers: buffers) }
        func checked(_ indices: [Int], _ role: String, optional: Bool = false) throws -> [Int] {
            for index in indices where !(index >= 0 && index < tensors.count) && !(optional && index == -1) {
                throw FormatError.malformed("\(role) names tensor \(index), but \(what) has \(tensors.count) tensors")
            }
            return indices
        }
        let operators = try table.tables(3, "the operator list of \(what)") { "operator \($0) of \(what)" }
            .map { operatorTable in
                let code = try operatorCode(of: operatorTable, codes: codes)
                let role = "\(operatorTable.what) (\(code))"
                return TFLiteOperator(code: code, inputs: try checked(try operatorTable.int32s(1, role), role, optional: true),
                                      outputs: try checked(try operatorTable.int32s(2, role), role),
                                      options: try options(of: operatorTable, code: code, role))
            }
        return TFLiteSubgraph(name: try table.string(4, "the name of \(what)") ?? "", tensors: tensors,
                              inputs: try checked(try table.int32s(1, what), "the input list of \(what)"),
                              outputs: try checked(try table.int32s(2, what), "the output list of \(what)"),
                              operators: operators)
    }

    private func operatorCode(of table: FlatTable, codes: [TFLiteOperatorCode]) throws -> TFLiteOperatorCode {
        let index = Int(try table.scalar(0, default: UInt32(0)))
        guard index < codes.count else {
            throw FormatError.malformed("\(table.what) uses operator code \(index), but the model has \(codes.count)")
        }
        return codes[index]
    }

    // MARK: - Tensors

    private func tensor(_ table: FlatTable, buffers: [FlatTable]) throws -> TFLiteTensor {
        let name = try table.string(3, table.what + "'s name") ?? ""
        let label = "tensor '\(name)' (\(table.what))"
        let rawType = try table.scalar(1, default: Int8(0))
        guard let type = TFLiteTensorType(rawValue: rawType) else {
            throw FormatError.malformed("\(label) has type \(rawType), which is not a TensorFlow Lite type")
        }
        let shape = try table.int32s(0, label + "'s shape")
        let count = try checkedElementCount(shape, name: name)
        guard try table.table(6, label + "'s sparsity") == nil else {
            throw FormatError.malformed("\(label) is stored sparse, which Impasto does not read")
        }
        let bufferIndex = Int(try table.scalar(2, default: UInt32(0)))
        guard bufferIndex < max(buffers.count, 1) else {
            throw FormatError.malformed("\(label) uses buffer \(bufferIndex), but the model has \(buffers.count)")
        }
        var data: Tensor?
        if bufferIndex > 0, let bytes = try contents(of: buffers[bufferIndex]), bytes.count > 0 {
            data = try constant(bytes, type: type, shape: shape, count: count, label: label)
        }
        return TFLiteTensor(name: name, type: type, shape: shape, data: data,
                            quantization: try table.table(4, label + "'s quantization").flatMap(quantization))
    }

    /// A buffer's bytes: inline (`data`), or, in models over 2 GB, at `offset` from the file's start.
    private func contents(of table: FlatTable) throws -> UnsafeRawBufferPointer? {
        if let data = try table.vector(0, elementSize: 1, table.what) { return data.bytes }
        let offset = try table.scalar(1, default: UInt64(0)), size = try table.scalar(2, default: UInt64(0))
        guard offset > 1 else { return nil }  // 1 is the writer's placeholder for "no data".
        guard let start = Int(exactly: offset), let count = Int(exactly: size) else { throw FormatError.truncated(part: table.what) }
        try buffer.require(start, count, table.what)
        return UnsafeRawBufferPointer(rebasing: buffer.bytes[start..<start + count])
    }

    private func constant(_ bytes: UnsafeRawBufferPointer, type: TFLiteTensorType, shape: [Int], count: Int,
                          label: String) throws -> Tensor? {
        guard let element = Self.elementTypes[type] else { return nil }
        guard bytes.count == count * element.byteSize else {
            throw FormatError.malformed("\(label) has shape \(shape) of \(type) but \(bytes.count) bytes of data")
        }
        return element.tensor(shape: shape, contiguousAt: bytes.baseAddress!)
    }

    /// The TensorFlow Lite types a tensor holds (as `ElementType` converts them); the others stay undecoded.
    private static let elementTypes: [TFLiteTensorType: ElementType] = [
        .float32: .f32, .float16: .f16, .bfloat16: .bf16, .float64: .f64, .int64: .i64, .int32: .i32,
        .int16: .i16, .int8: .i8, .uint8: .u8, .bool: .bool,
    ]

    private func quantization(_ table: FlatTable) throws -> TFLiteQuantization? {
        let scales = try table.vector(2, elementSize: 4, table.what)
        let zeroPoints = try table.vector(3, elementSize: 8, table.what)
        guard let scales else { return nil }
        return TFLiteQuantization(
            scale: try (0..<scales.count).map { Float(bitPattern: try scales.scalar(UInt32.self, $0)) },
            zeroPoint: try (0..<(zeroPoints?.count ?? 0)).map { Int(try zeroPoints!.scalar(Int64.self, $0)) },
            dimension: Int(try table.scalar(6, default: Int32(0))))
    }
}
