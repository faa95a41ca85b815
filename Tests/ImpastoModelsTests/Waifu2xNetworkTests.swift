import Foundation
import ImpastoNN
import ImpastoTensor
import Testing
@testable import ImpastoModels

/// Each architecture loses exactly its `offset` output pixels per side: a tile of `S + 2·offset/scale` input
/// pixels gives `S·scale`, the arithmetic waifu2x's tiling (and Impasto's, `Waifu2xTiling`) rests on. Random
/// weights: only the shapes are checked here; Waifu2xParityTests checks the values with waifu2x's own.
@Test(arguments: Waifu2xArchitecture.allCases)
func waifu2xNetsLoseTheirOffset(_ architecture: Waifu2xArchitecture) {
    for channels in [1, 3] {
        let network = Initialization.withSeed(0) { architecture.makeNetwork(channels: channels) }
        let output = 24
        let input = output / architecture.innerScale + 2 * (architecture.offset / architecture.innerScale)
        let y = withoutGradients { network(Tensor(zeros: [2, channels, input, input])) }
        #expect(y.shape == [2, channels, output, output], "\(architecture) \(channels)")
    }
}

/// The parameter names map onto Chainer's: `conv_pre/W`, `res1/fc1/b`, `conv7/W` (no bias on the transposed
/// convolutions), as waifu2x's `.npz` files name them.
@Test func waifu2xParametersHaveChainerNames() {
    let upresnet = Waifu2xArchitecture.upresnet10.makeNetwork(channels: 3)
    let names = Set(upresnet.stateDict().map { chainerKey($0.name) })
    #expect(names.contains("conv_pre/W") && names.contains("res5/fc2/b") && names.contains("conv_bridge/b"))
    #expect(names.contains("conv_post/W") && !names.contains("conv_post/b"))
    #expect(names.count == 2 + 5 * 8 + 2 + 1)
    let vgg7 = Set(Waifu2xArchitecture.vgg7.makeNetwork(channels: 1).stateDict().map { chainerKey($0.name) })
    #expect(vgg7 == Set((1...7).flatMap { ["conv\($0)/W", "conv\($0)/b"] }))
}
