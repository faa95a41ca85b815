import Foundation

/// The pickle opcodes of protocols 2–5 that state dicts use (plus a few neighbours that cost nothing).
private enum Opcode: UInt8 {
    case proto = 0x80, frame = 0x95, stop = 0x2E
    case mark = 0x28, pop = 0x30, popMark = 0x31, dup = 0x32
    case none = 0x4E, newTrue = 0x88, newFalse = 0x89
    case binInt = 0x4A, binInt1 = 0x4B, binInt2 = 0x4D, long1 = 0x8A, long4 = 0x8B, binFloat = 0x47
    case binUnicode = 0x58, shortBinUnicode = 0x8C, binUnicode8 = 0x8D
    case shortBinBytes = 0x43, binBytes = 0x42, binBytes8 = 0x8E
    case emptyTuple = 0x29, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87, tuple = 0x74
    case emptyList = 0x5D, append = 0x61, appends = 0x65
    case emptyDict = 0x7D, setItem = 0x73, setItems = 0x75
    case emptySet = 0x8F, addItems = 0x90, frozenSet = 0x91
    case binPut = 0x71, longBinPut = 0x72, memoize = 0x94, binGet = 0x68, longBinGet = 0x6A
    case global = 0x63, stackGlobal = 0x93, reduce = 0x52, newObj = 0x81, build = 0x62, binPersId = 0x51
}

/// Reads one pickle, building values only: globals resolve against `PickleGlobal`'s allow-list (any
/// other throws `FormatError.forbiddenGlobal` as soon as it is named), and "calling" one of them builds
/// the value it stands for. Persistent ids (torch's storages) go to `persistentLoad`.
///
/// Every value costs at least one opcode byte and memo references share values rather than copy them,
/// so memory stays proportional to the pickle, however its values refer to one another. Containers may
/// nest at most `TorchCheckpoint.maximumNesting` deep as they are built, and free iteratively however
/// deep they end up (see `releaseIteratively`).
struct Unpickler {
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private let persistentLoad: (PickleValue) throws -> PickleValue
    private let arena: PickleArena

    private init(arena: PickleArena, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.arena = arena
        self.persistentLoad = persistentLoad
    }

    /// The value of the pickle at `reader`'s position; leaves `reader` just past its STOP. Its lists and dicts
    /// are kept in `arena`, which the caller releases once it has read what it needs.
    static func load(
        _ reader: inout ByteReader,
        arena: PickleArena,
        persistentLoad: @escaping (PickleValue) throws -> PickleValue = { _ in
            throw FormatError.malformed("its pickle refers to outside data where none is expected")
        }
    ) throws -> PickleValue {
        var unpickler = Unpickler(arena: arena, persistentLoad: persistentLoad)
        return try unpickler.run(&reader)
    }

    private mutating func run(_ reader: inout ByteReader) throws -> PickleValue {
        while true {
            let position = reader.position
            let byte = try reader.integer(UInt8.self)
            guard let opcode = Opcode(rawValue: byte) else {
                throw FormatError.malformed(String(format: "its pickle uses opcode 0x%02X at byte \(position), which no state dict needs", byte))
            }
            do {
                if let result = try execute(opcode, &reader) { return result }
            } catch let corruption as Corruption {
                throw FormatError.malformed("its pickle is corrupt at byte \(position) (\(corruption.what))")
            }
        }
    }

    /// A pickle that is well-formed bytes but nonsense as a program; `run` adds the position.
    private struct Corruption: Error {
        let what: String
        init(_ what: String) { self.what = what }
    }

    /// Runs one opcode; returns the pickle's value at STOP.
    private mutating func execute(_ opcode: Opcode, _ reader: inout ByteReader) throws -> PickleValue? {
        switch opcode {
        case .proto:
            let version = try reader.integer(UInt8.self)
            guard version <= 5 else { throw FormatError.malformed("it uses pickle protocol \(version), newer than 5") }
        case .frame: try reader.skip(8) // a length hint for buffered readers
        case .stop: return try pop()
        case .mark: marks.append(stack.count)
        case .pop: _ = try pop()
        case .popMark: _ = try popMark()
        case .dup: stack.append(try top())

        case .none: stack.append(.none)
        case .newTrue: stack.append(.bool(true))
        case .newFalse: stack.append(.bool(false))
        case .binInt: stack.append(.int(Int(try reader.integer(Int32.self))))
        case .binInt1: stack.append(.int(Int(try reader.integer(UInt8.self))))
        case .binInt2: stack.append(.int(Int(try reader.integer(UInt16.self))))
        case .long1: stack.append(Self.long(try reader.take(Int(try reader.integer(UInt8.self)))))
        case .long4: stack.append(Self.long(try reader.take(Int(try reader.integer(Int32.self)))))
        case .binFloat:
            stack.append(.float(Double(bitPattern: UInt64(bigEndian: try reader.take(8).loadUnaligned(as: UInt64.self)))))
        case .binUnicode: stack.append(try Self.string(try reader.take(Int(try reader.integer(UInt32.self)))))
        case .shortBinUnicode: stack.append(try Self.string(try reader.take(Int(try reader.integer(UInt8.self)))))
        case .binUnicode8: stack.append(try Self.string(try reader.take(try reader.offset())))
        case .shortBinBytes: stack.append(.bytes(Array(try reader.take(Int(try reader.integer(UInt8.self))))))
        case .binBytes: stack.append(.bytes(Array(try reader.take(Int(try reader.integer(UInt32.self))))))
        case .binBytes8: stack.append(.bytes(Array(try reader.take(try reader.offset()))))

        case .emptyTuple: stack.append(try Self.tuple([]))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - Opcode.tuple1.rawValue) + 1
            guard stack.count - count >= (marks.last ?? 0) else { throw Corruption("a tuple of missing items") }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            stack.append(try Self.tuple(items))
        case .tuple, .frozenSet: stack.append(try Self.tuple(try popMark()))
        // Sets are kept as lists: nothing in them is read, and their order does not matter.
        case .emptyList, .emptySet: stack.append(.list(arena.list()))
        case .append: try appendToList([try pop()], opcode: "APPEND")
        case .appends, .addItems: try appendToList(try popMark(), opcode: opcode == .appends ? "APPENDS" : "ADDITEMS")
        case .emptyDict: stack.append(.dict(arena.dict()))
        case .setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value], opcode: "SETITEM")
        case .setItems: try setItems(try popMark(), opcode: "SETITEMS")

        case .binPut: memo[Int(try reader.integer(UInt8.self))] = try top()
        case .longBinPut: memo[Int(try reader.integer(UInt32.self))] = try top()
        case .memoize: memo[memo.count] = try top()
        case .binGet: stack.append(try recall(Int(try reader.integer(UInt8.self))))
        case .longBinGet: stack.append(try recall(Int(try reader.integer(UInt32.self))))

        case .global:
            let module = try Self.utf8(try reader.line()), name = try Self.utf8(try reader.line())
            stack.append(try Self.global(module, name))
        case .stackGlobal:
            guard case let .string(name) = try pop(), case let .string(module) = try pop() else {
                throw Corruption("a STACK_GLOBAL without module and name strings")
            }
            stack.append(try Self.global(module, name))
        case .reduce, .newObj:
            let arguments = try pop(), callable = try pop()
            stack.append(try call(callable, arguments))
        case .build:
            _ = try pop() // an OrderedDict's `_metadata`, a parameter's state, a dtype's byte order: not weights
            switch try top() {
            case .dict, .tensor, .object: break
            default: throw Corruption("a BUILD of an object that is neither dict nor tensor")
            }
        case .binPersId: stack.append(try persistentLoad(try pop()))
        }
        return nil
    }

    /// A tuple of `items`, if it does not nest too deep.
    private static func tuple(_ items: [PickleValue]) throws -> PickleValue {
        let tuple = PickleTuple(items)
        try checkNesting(tuple.depth)
        return .tuple(tuple)
    }

    private mutating func appendToList(_ items: [PickleValue], opcode: String) throws {
        guard case let .list(list) = try top() else { throw Corruption("an \(opcode) to a non-list") }
        list.append(contentsOf: items)
        try Self.checkNesting(list.depth)
    }

    /// Adds key, value, key, value, … to the dict on top of the stack.
    private mutating func setItems(_ items: [PickleValue], opcode: String) throws {
        guard case let .dict(dict) = try top(), items.count.isMultiple(of: 2) else {
            throw Corruption("a \(opcode) that does not fit a dict")
        }
        for index in stride(from: 0, to: items.count, by: 2) { dict.append(key: items[index], value: items[index + 1]) }
        try Self.checkNesting(dict.depth)
    }

    /// Refuses containers nested deeper than any state dict: they are how a pickle of a few hundred
    /// kilobytes exhausts the stack of code that walks it.
    private static func checkNesting(_ depth: Int) throws {
        guard depth <= TorchCheckpoint.maximumNesting else {
            throw FormatError.malformed("its pickle nests containers more than \(TorchCheckpoint.maximumNesting) deep")
        }
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw Corruption("an empty stack")
        }
        return value
    }

    private func top() throws -> PickleValue {
        guard let value = stack.last else { throw Corruption("an empty stack") }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw Corruption("a missing MARK") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func recall(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw Corruption("a reference to unset memo \(index)") }
        return value
    }

    private static func string(_ bytes: UnsafeRawBufferPointer) throws -> PickleValue {
        .string(try utf8(bytes))
    }

    private static func utf8(_ bytes: UnsafeRawBufferPointer) throws -> String {
        guard let string = String(bytes: bytes, encoding: .utf8) else {
            throw FormatError.malformed("its pickle holds a string that is not UTF-8")
        }
        return string
    }

    private static func long(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        guard bytes.count <= 8 else { return .bigInt(Array(bytes)) }
        guard !bytes.isEmpty else { return .int(0) }
        var bits: UInt64 = 0
        for (index, byte) in bytes.enumerated() { bits |= UInt64(byte) << (8 * index) }
        let unused = UInt64(64 - 8 * bytes.count) // sign-extends from the top byte given
        return .int(Int(Int64(bitPattern: bits << unused) >> unused))
    }

    private static func global(_ module: String, _ name: String) throws -> PickleValue {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw FormatError.forbiddenGlobal("\(module).\(name)")
        }
        return .global(global)
    }

    /// What REDUCE or NEWOBJ of an allowed global builds.
    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(function) = callable, let arguments = arguments.tupleItems else {
            throw Corruption("a call without a global and an argument tuple")
        }
        switch function {
        case .orderedDict:
            let dict = arena.dict()
            if case let .list(pairs)? = arguments.first {
                for pair in pairs.items {
                    guard let keyValue = pair.tupleItems, keyValue.count == 2 else {
                        throw FormatError.malformed("its pickle builds an OrderedDict from something other than pairs")
                    }
                    dict.append(key: keyValue[0], value: keyValue[1])
                }
            }
            try Self.checkNesting(dict.depth)
            return .dict(dict)
        case .rebuildTensor:
            guard arguments.count >= 4, case let .storage(storage) = arguments[0], case let .int(offset) = arguments[1],
                  let shape = arguments[2].integers, let strides = arguments[3].integers else {
                throw FormatError.malformed("its pickle rebuilds a tensor from arguments other than (storage, offset, size, stride)")
            }
            return .tensor(TensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case .rebuildParameter:
            guard case .tensor? = arguments.first else {
                throw FormatError.malformed("its pickle rebuilds a parameter from something other than a tensor")
            }
            return arguments[0]
        case .storageType:
            throw FormatError.malformed("its pickle calls a storage type, which torch.save never does")
        case .numpyDType:
            guard case .string? = arguments.first else {
                throw FormatError.malformed("its pickle builds a numpy dtype from something other than a type code")
            }
            return .object("numpy.dtype")
        case .numpyScalar:
            guard arguments.count == 2, case .object("numpy.dtype") = arguments[0], case .bytes = arguments[1] else {
                throw FormatError.malformed("its pickle builds a numpy scalar from something other than a dtype and bytes")
            }
            return .object("numpy scalar")
        case .encode: return .bytes(try Self.latin1(arguments))
        }
    }

    /// The bytes `_codecs.encode(text, "latin1")` makes: each character below 256 is one byte. Other
    /// encodings are refused; protocol 2 only ever asks for this one.
    private static func latin1(_ arguments: [PickleValue]) throws -> [UInt8] {
        guard arguments.count == 2, case let .string(text) = arguments[0], case let .string(encoding) = arguments[1],
              ["latin1", "latin-1"].contains(encoding.lowercased()) else {
            throw FormatError.malformed("its pickle calls _codecs.encode for something other than latin-1 bytes")
        }
        return try text.unicodeScalars.map { scalar in
            guard scalar.value < 256 else {
                throw FormatError.malformed("its pickle encodes a character beyond latin-1 as bytes")
            }
            return UInt8(scalar.value)
        }
    }
}
