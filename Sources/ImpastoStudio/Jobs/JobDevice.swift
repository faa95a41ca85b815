import ImpastoTensor

extension Device {
    /// Runs a job's `body` with this device current (every tensor the job makes lives there; see
    /// `Device.current`), after checking that it can start: a GPU whose libraries or driver are missing fails
    /// here, before any input is read, with one sentence naming what is missing and where it was looked for.
    func running<R>(_ body: () throws -> R) throws -> R {
        try prepare()
        return try Device.$current.withValue(self) { try body() }
    }
}
