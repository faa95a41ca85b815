// stylize-app CONTENT STYLE OUTPUT [SIZE] [ITERATIONS]: Gatys style transfer with the VGG-19 that
// `impasto models fetch vgg19` installs, through Impasto's public API only.
import Foundation
import ImpastoMedia
import ImpastoStudio

let arguments = CommandLine.arguments
guard (4...6).contains(arguments.count) else {
    FileHandle.standardError.write(Data("usage: StylizeApp CONTENT STYLE OUTPUT.png [SIZE] [ITERATIONS]\n".utf8))
    exit(64)
}
do {
    let weights = try ModelStore().resolve(model: "vgg19")
    let stylizer = try Stylizer(contentsOf: weights.url, preprocessing: weights.preprocessing ?? .caffe)
    var options = StylizeOptions()
    options.size = arguments.count > 4 ? Int(arguments[4]) ?? 256 : 256
    options.iterations = arguments.count > 5 ? Int(arguments[5]) ?? 50 : 50
    options.initialization = .content
    options.seed = 1
    let result = try stylizer.run(content: Image(contentsOf: URL(fileURLWithPath: arguments[1])),
                                  styles: [Image(contentsOf: URL(fileURLWithPath: arguments[2]))], options: options)
    try result.image.write(to: URL(fileURLWithPath: arguments[3]), format: .png)
    print("wrote \(arguments[3]): \(result.image.width)×\(result.image.height), loss \(result.losses.total) "
          + "after \(result.iterations) iterations")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
