import Testing
@testable import ImpastoServer
