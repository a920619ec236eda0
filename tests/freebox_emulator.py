"""A small Freebox OS API emulator on 127.0.0.1, following the real protocol: app pairing
(pending, then granted), a challenge per login, HMAC-SHA1 session password, the call log behind
the X-Fbx-App-Auth header, and the box's error envelope otherwise."""

import hashlib
import hmac
import http.server
import json
import secrets
import threading


class FreeboxEmulator:
    def __init__(self, calls=None):
        self.calls = list(calls or [])
        self.app_token = "dyNYgfK0Ya6FWGqq83sBHa7TwzWo+pg4fDFUJHShcjVYzTfaRrZzm93p7OTAfH/0"
        self.challenge = None
        self.sessions = set()
        self.authorize_polls = 0
        self.requests = []
        emulator = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code, doc):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _fail(self, code, error, msg):
                self._send(code, {"success": False, "error_code": error, "msg": msg})

            def do_GET(self):
                emulator.requests.append(("GET", self.path))
                if self.path == "/api/v8/login/":
                    emulator.challenge = secrets.token_hex(16)
                    return self._send(200, {"success": True, "result": {"logged_in": False,
                                                                         "challenge": emulator.challenge}})
                if self.path.startswith("/api/v8/login/authorize/"):
                    emulator.authorize_polls += 1
                    status = "pending" if emulator.authorize_polls < 2 else "granted"
                    return self._send(200, {"success": True, "result": {"status": status, "challenge": "x"}})
                if self.path == "/api/v8/call/log/":
                    if self.headers.get("X-Fbx-App-Auth") not in emulator.sessions:
                        return self._fail(403, "auth_required", "Invalid session token, or no session token sent")
                    # an empty log comes without "result" at all, as the box sends it
                    return self._send(200, {"success": True, "result": emulator.calls} if emulator.calls
                                      else {"success": True})
                return self._fail(404, "invalid_request", "Invalid request")

            def do_POST(self):
                emulator.requests.append(("POST", self.path))
                doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                if self.path == "/api/v8/login/authorize/":
                    return self._send(200, {"success": True, "result": {"app_token": emulator.app_token, "track_id": 42}})
                if self.path == "/api/v8/login/session/":
                    expected = hmac.new(emulator.app_token.encode(), (emulator.challenge or "").encode(),
                                        hashlib.sha1).hexdigest()
                    if doc.get("password") != expected:
                        return self._fail(403, "invalid_token", "The app token you are trying to use is invalid")
                    token = secrets.token_hex(16)
                    emulator.sessions.add(token)
                    return self._send(200, {"success": True, "result": {"session_token": token,
                                                                         "challenge": emulator.challenge,
                                                                         "permissions": {"calls": True}}})
                return self._fail(404, "invalid_request", "Invalid request")

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()      # refuse connections from now on, as a box that is off


def call(ts, number="0162345010", kind="missed", duration=8, id_=None):
    return {"number": number, "type": kind, "id": id_ or ts % 100000, "duration": duration, "datetime": ts,
            "contact_id": 0, "line_id": 0, "name": number, "new": True}
