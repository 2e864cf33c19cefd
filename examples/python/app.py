"""shallot's python example: a standard-library HTTP server answering GET /.

Its one dependency, `greeting`, is a local package installed by pip from the
vendored wheel in ./vendor (see requirements.txt), so the build needs no index.
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from greeting import greeting

import messages


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/" and not self.path.startswith("/?"):
            self._send(404, "not found\n")
            return
        body = f"{messages.HELLO}\n{greeting('shallot')}\npython: {sys.version.split()[0]}\n"
        self._send(200, body)

    def _send(self, status, body):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "text/plain; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(f"{self.address_string()} {fmt % args}", flush=True)


def main():
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("0.0.0.0", port), Handler)
    # PID 1 gets no default SIGTERM handling: stop promptly on `docker stop`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"shallot-example-python listening on :{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
