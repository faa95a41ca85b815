import ArgumentParser
import ImpastoTensor

/// Runs a Studio job's `validate()` for an argument parser's `validate()`: the job's one sentence becomes a usage
/// error (exit status 64), as for the options the parser checks itself.
func validateJob(_ validate: () throws -> Void) throws {
    do {
        try validate()
    } catch let error as ImpastoError {
        throw ValidationError(error.description)
    }
}
