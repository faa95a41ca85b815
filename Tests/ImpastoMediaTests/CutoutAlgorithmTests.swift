import Foundation
@testable import ImpastoMedia
import Testing

/// The guided filter, closed-form matting and multilevel foreground estimation against
/// scripts/make_cutout_reference.py (pymatting 1.1.16 and the guided filter's equations in numpy) on a 64×56
/// crop across the astronaut's hair (Fixtures/cutout).
@Suite struct CutoutAlgorithmTests {
    static let folder = Bundle.module.url(forResource: "cutout", withExtension: nil, subdirectory: "Fixtures")!
    static let photo = try! Image(contentsOf: folder.appendingPathComponent("photo.png"))
    static let trimap = Array(try! Image(contentsOf: folder.appendingPathComponent("trimap.png")).plane(0))

    static func reference(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// MediaPipe's mask of the crop at 0.5, which the trimap was eroded from.
    static var mask: [Float] {
        get throws { try reference("mask.f32") }
    }

    @Test(arguments: [(2, 1e-2), (4, 1e-3), (8, 1e-4)])
    func guidedFilterMatchesTheEquations(radius: Int, epsilon: Double) throws {
        let expected = try Self.reference("guided-r\(radius)-e\(epsilon).f32")
        let filtered = GuidedFilter.filter(try Self.mask, guide: Self.photo, radius: radius, epsilon: epsilon)
        let difference = Self.maxDifference(filtered, expected)
        print("guided filter r \(radius) ε \(epsilon): max |Δ| \(difference)")
        #expect(difference < 1e-5)
    }

    @Test func closedFormMattingMatchesPymatting() throws {
        let result = ClosedFormMatting.alpha(image: Self.photo, trimap: Self.trimap)
        let difference = Self.maxDifference(result.alpha, try Self.reference("alpha-cf.f32"))
        print("closed-form matting: max |Δ| \(difference) after \(result.iterations) CG iterations (pymatting: 2)")
        #expect(result.converged && difference < 1e-3)
    }

    @Test func foregroundMatchesPymatting() throws {
        let alpha = try Self.reference("alpha-cf.f32")
        let (foreground, background) = ForegroundEstimation.multilevel(image: Self.photo, alpha: alpha)
        let (df, db) = (Self.maxDifference(foreground.pixels, try Self.reference("foreground-ml.f32")),
                        Self.maxDifference(background.pixels, try Self.reference("background-ml.f32")))
        print("foreground estimation: max |Δ| foreground \(df), background \(db)")
        #expect(df < 1e-4 && db < 1e-4)
    }

    @Test func trimapErodesLikeSciPy() throws {
        let mask = try Self.mask
        let trimap = Trimap.from(mask: mask, width: Self.photo.width, height: Self.photo.height,
                                 foreground: 0.5, background: 0.5, erosion: 5)
        // The fixture stores the unknown band as 128/255.
        let expected = Self.trimap.map { $0 == 0 || $0 == 1 ? $0 : 0.5 }
        let differing = zip(trimap, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) pixels differ from SciPy's erosion")
    }
}
