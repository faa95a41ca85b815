import Foundation
import ImpastoTensor
import Testing

/// The device the engine's op tests run on: `IMPASTO_TEST_DEVICE` (`cpu`, `cuda` or `cuda:N`), cpu by default,
/// so that a GPU session reruns the same tests, unchanged, with `IMPASTO_TEST_DEVICE=cuda swift test …`.
public let testDevice: Device = {
    let name = ProcessInfo.processInfo.environment["IMPASTO_TEST_DEVICE"] ?? "cpu"
    guard let device = Device(parsing: name) else {
        fatalError("IMPASTO_TEST_DEVICE=\(name) is not a device: use cpu, cuda or cuda:N")
    }
    return device
}()

/// Runs a test (or every test of a suite) with `testDevice` current, so that every tensor it makes lives there
/// and its ops run on that device's backend. A GPU that cannot start fails the test with its one sentence.
public struct OnTestDevice: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void)
        async throws {
        try testDevice.prepare()
        try await Device.$current.withValue(testDevice) { try await function() }
    }
}

extension Trait where Self == OnTestDevice {
    /// See `OnTestDevice`.
    public static var onTestDevice: OnTestDevice { OnTestDevice() }
}
