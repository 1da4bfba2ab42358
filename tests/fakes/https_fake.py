"""A TLS HTTP server on 127.0.0.1 in a thread, that a test starts and stops: what the HTTPS fakes share. Stdlib only.

A fake subclasses HttpsFake (giving it its handler class and `url_path`) and its handler subclasses FakeHandler; the
fake keeps what it received in `requests`, and `_release` lets a hung answer go when the fake stops.
"""
import http.server
import socket
import ssl
import threading
import time


class HttpsFake:
    url_path = "/"  # what url() points the service under test at

    def __init__(self, certfile, keyfile, handler, host="127.0.0.1"):
        self.handler = handler  # a FakeHandler subclass, one per connection
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(certfile, keyfile)
        self.host = host
        self.lock = threading.Lock()  # handlers run on one thread per connection; tests read from theirs
        self.requests = []
        self.sent = []
        self.handshake_failures = 0
        self._release = threading.Event()
        self._server = None
        self._thread = None

    @property
    def port(self):
        return self._server.server_address[1]

    def url(self, host="localhost"):
        return f"https://{host}:{self.port}{self.url_path}"

    def start(self):
        self._server = _TlsServer(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        # Hung answers go first: shutdown() stops only the accept loop, and a handler left waiting would hold its
        # connection open for up to a minute after the test.
        self._release.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def received(self):
        with self.lock:
            return list(self.requests)

    def _wait_for(self, read, count, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline and len(read()) < count:
            time.sleep(0.05)
        return read()


class _TlsServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake):
        self.fake = fake
        super().__init__((fake.host, 0), fake.handler)

    def finish_request(self, request, client_address):
        # The TLS handshake happens here, in the connection's thread, so that a client refusing our certificate is
        # counted and never blocks the accept loop.
        request.settimeout(10)
        # Headers and body are written separately: without this, Nagle + delayed ACK add ~40 ms per answer.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.fake.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            with self.fake.lock:
                self.fake.handshake_failures += 1
            return
        try:
            self.RequestHandlerClass(tls, client_address, self, self.fake)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass  # a client hanging up mid-request is part of the tests


class FakeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Mobizon's nginx

    def __init__(self, request, client_address, server, fake):
        self.fake = fake
        super().__init__(request, client_address, server)

    def log_message(self, *args):
        pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _headers(self):
        return {k.lower(): v for k, v in self.headers.items()}

    def _record(self, request):
        with self.fake.lock:
            self.fake.requests.append(request)

    def _hang(self):
        # The client sees a service that took the request and never answers; the minute bounds a test that forgets
        # to stop the fake.
        self.fake._release.wait(60)
        self.close_connection = True

    def _send(self, status, payload, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
