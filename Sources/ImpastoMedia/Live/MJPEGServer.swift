import Foundation
import ImpastoTensor
#if canImport(Glibc)
import Glibc
#endif

/// A window-less preview: the newest frame as Motion JPEG over HTTP on loopback (127.0.0.1 only), which any
/// browser shows (`/` is a page holding the stream, `/stream.mjpg` the stream itself,
/// `multipart/x-mixed-replace`). Each viewer has its own thread and gets the newest frame when it is ready
/// for one: a slow viewer skips frames and never slows stylization or the other viewers.
public final class MJPEGServer: LiveSink, @unchecked Sendable {
    /// The port it listens on (the one the system chose when asked for 0).
    public let port: Int
    private let listener: Int32
    private let quality: Int
    private let state = NSCondition()
    private var jpeg: [UInt8] = []
    private var sequence = 0
    private var closed = false
    private static let boundary = "impastoframe"

    /// Listens on 127.0.0.1:`port` (0: any free port).
    ///
    /// - Throws: `ImpastoError.invalidArgument` when the port is taken or out of range.
    public init(port: Int, quality: Int = 85) throws {
        guard (0...65535).contains(port) else {
            throw ImpastoError.invalidArgument("The preview port must be between 0 and 65535, not \(port).")
        }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard socket >= 0, bound == 0, listen(socket, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            if socket >= 0 { close(socket) }
            throw ImpastoError.invalidArgument("Cannot listen on 127.0.0.1:\(port) for the preview: \(reason).")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        listener = socket
        self.quality = quality
        Thread.detachNewThread { [self] in acceptViewers() }
    }

    /// The page address to open in a browser.
    public var address: String { "http://127.0.0.1:\(port)/" }

    public func send(_ frame: Image) throws {
        let encoded = try frame.rgb().encoded(format: .jpeg(quality: quality), path: address)
        state.withLock {
            jpeg = encoded
            sequence += 1
            state.broadcast()
        }
    }

    /// Ends every viewer's stream and stops listening.
    public func finish() throws {
        state.withLock {
            closed = true
            state.broadcast()
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptViewers() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return  // closed by finish()
            }
            Thread.detachNewThread { [self] in
                serve(client)
                close(client)
            }
        }
    }

    /// Answers one request: the page, the stream, or 404.
    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let path = Self.requestPath(client) else { return }
        switch path {
        case "/":
            let page = "<!doctype html><title>impasto live</title><body style=\"margin:0;background:#111\">"
                + "<img src=\"/stream.mjpg\" style=\"display:block;margin:auto;max-width:100%\"></body>\n"
            _ = Self.write(client, "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: \(page.utf8.count)\r\n\r\n" + page)
        case "/stream.mjpg":
            stream(to: client)
        default:
            _ = Self.write(client, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        }
    }

    private func stream(to client: Int32) {
        guard Self.write(client, "HTTP/1.0 200 OK\r\nCache-Control: no-store\r\n"
                         + "Content-Type: multipart/x-mixed-replace; boundary=\(Self.boundary)\r\n\r\n") else { return }
        var shown = 0
        while true {
            let next: [UInt8]? = state.withLock {
                while sequence == shown && !closed { state.wait() }
                if closed { return nil }
                shown = sequence
                return jpeg
            }
            guard let next else {
                _ = Self.write(client, "--\(Self.boundary)--\r\n")
                return
            }
            let header = "--\(Self.boundary)\r\nContent-Type: image/jpeg\r\nContent-Length: \(next.count)\r\n\r\n"
            guard Self.write(client, header), Self.write(client, next), Self.write(client, "\r\n") else { return }
        }
    }

    /// The path of the request's first line, read up to the blank line that ends the headers (at most 8 KB).
    private static func requestPath(_ client: Int32) -> String? {
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while request.count < 8192 {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            request += chunk[0..<count]
            if String(decoding: request, as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0] == "GET" else { return nil }
        return String(parts[1].split(separator: "?").first ?? "")
    }

    private static func write(_ client: Int32, _ text: String) -> Bool { write(client, Array(text.utf8)) }

    private static func write(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }
}
