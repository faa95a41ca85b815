import ImpastoStudio
import ImpastoTensor
import Testing

@Test func studioLinksTheEngine() {
    #expect(Tensor(shape: [2], scalars: [1, 2]).sum().scalar == 3)
}
