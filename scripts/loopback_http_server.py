#!/usr/bin/env python3
"""A loopback HTTP file server for ImpastoStudio's download tests (standard library only; Python 3.9+).

    python3 scripts/loopback_http_server.py DIRECTORY

Serves DIRECTORY on 127.0.0.1 at a port the kernel picks and prints `READY <port>` once it accepts
connections, so a test waits on that line instead of sleeping. Each request is logged to stdout as
`GET <path> range=<Range header or ->` before it is answered. Honours `Range: bytes=N-` (and `bytes=N-M`)
with 206 / 416 like a real CDN. Query flags make it misbehave on purpose:
  ?norange   ignore Range and send the whole file with 200, as some servers do;
  ?cut=N     promise the full length but close the connection after N bytes of body.
Exits when its standard input closes, so it never outlives the test process that started it.
"""
import http.server
import os
import sys
import threading
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        range_header = self.headers.get("Range")
        print(f"GET {url.path} range={range_header or '-'}", flush=True)
        path = os.path.join(self.server.root, urllib.parse.unquote(url.path).lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        with open(path, "rb") as file:
            data = file.read()
        start, end, status = 0, len(data) - 1, 200
        if range_header and "norange" not in query:
            first, _, last = range_header.removeprefix("bytes=").partition("-")
            start = int(first)
            end = min(int(last), len(data) - 1) if last else len(data) - 1
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end + 1]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        if "cut" in query:
            self.wfile.write(body[:int(query["cut"][0])])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass  # The request log above is the only output the tests read.


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.root = os.path.abspath(sys.argv[1])
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    sys.stdin.read()  # Returns at end of file: the test process has exited or closed the pipe.


if __name__ == "__main__":
    main()
