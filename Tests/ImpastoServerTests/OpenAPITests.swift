// The OpenAPI document against the router: every route under /api is documented and every documented operation is
// a route; its references resolve; the server serves it. (scripts/schemathesis_check.sh checks a running server's
// answers against it.)
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ImpastoServer
import Testing

extension ServerTests {
    @Suite struct OpenAPITests {
        static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]

        @Test func theDocumentNamesEveryAPIRouteAndNoOther() async throws {
            let root = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let service = try ImpastoService(ServerConfiguration(data: root))
            let routes = Set(service.router().routes.map { "\($0.method.rawValue) \($0.path.description)" }
                .filter { $0.split(separator: " ")[1].hasPrefix("/api/") })
            let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let documented = Set(paths.flatMap { path, item in
                item.keys.filter(Self.methods.contains).map { "\($0.uppercased()) \(path)" }
            })
            #expect(routes.count >= 16)
            #expect(routes.subtracting(documented).isEmpty, "routes missing from the document: \(routes.subtracting(documented).sorted())")
            #expect(documented.subtracting(routes).isEmpty, "documented routes that do not exist: \(documented.subtracting(routes).sorted())")

            // Every reference names a schema or a shared response that is there, and every operation says what its
            // errors look like.
            let components = try #require(document["components"] as? [String: Any])
            let references = Self.references(in: document)
            #expect(!references.isEmpty)
            for reference in references {
                let parts = reference.split(separator: "/").map(String.init)
                #expect(parts.count == 4 && parts[0] == "#" && parts[1] == "components"
                        && (components[parts[2]] as? [String: Any])?[parts[3]] != nil, "\(reference)")
            }
            for (path, item) in paths {
                for (method, operation) in item where Self.methods.contains(method) {
                    let responses = try #require((operation as? [String: Any])?["responses"] as? [String: Any])
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) has no success")
                    #expect(responses["429"] != nil, "\(method) \(path) does not document the rate limit")
                    // An operation open to anyone as well (`{}` among its requirements) never answers 401.
                    let requirements = ((operation as? [String: Any])?["security"] ?? document["security"]) as? [[String: Any]] ?? []
                    let secured = requirements.contains { !$0.isEmpty } && !requirements.contains { $0.isEmpty }
                    #expect(!secured || responses["401"] != nil || path.hasPrefix("/api/files/") || path == "/api/sessions",
                            "\(method) \(path) needs an account but documents no 401")
                }
            }

            try await service.application(port: 0).test(.router) { client in
                let response = try await client.execute(uri: "/api/openapi.json", method: .get)
                #expect(response.status == .ok && response.headers[.contentType] == "application/json; charset=utf-8")
                #expect(String(buffer: response.body) == OpenAPIDocument.json)
            }
        }

        /// Every `$ref` in the document.
        static func references(in value: Any) -> [String] {
            if let object = value as? [String: Any] {
                return object.flatMap { key, value in key == "$ref" ? [value as? String ?? "?"] : references(in: value) }
            }
            if let array = value as? [Any] { return array.flatMap(references(in:)) }
            return []
        }
    }
}
