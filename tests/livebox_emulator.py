"""A small Orange Livebox emulator on 127.0.0.1, following the box's "sah" JSON API: every call a
``POST /ws`` (``application/x-sah-ws-4-call+json``), login by ``sah.Device.Information.createContext``
under ``Authorization: X-Sah-Login`` answering a ``contextID`` and a session cookie, then
``X-Context`` + ``Authorization: X-Sah <contextID>`` + the cookie for ``getCallList``; errors as
``{"status": null, "errors": [...]}``."""

import http.server
import json
import secrets
import threading

DENIED = {"status": None, "errors": [{"error": 13, "description": "Permission denied", "info": ""}]}


class LiveboxEmulator:
    def __init__(self, calls=None, user="admin", password="Lb-secret-42"):
        self.calls = list(calls or [])
        self.user, self.password = user, password
        self.contexts = {}              # contextID -> session cookie value
        self.released = 0
        self.requests = []
        emulator = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code, doc, cookie=None):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/x-sah-ws-4-call+json")
                self.send_header("Content-Length", str(len(body)))
                if cookie:
                    self.send_header("Set-Cookie", f"3a7f9e1c/sessid={cookie}; path=/; HttpOnly")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                if self.path != "/ws":
                    return self._send(404, {"status": None, "errors": [{"error": 1, "description": "Not found"}]})
                try:
                    doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                    call = (doc["service"], doc["method"])
                except (ValueError, KeyError, TypeError):
                    return self._send(400, {"status": None, "errors": [{"error": 196618, "description": "Parse error"}]})
                emulator.requests.append(call)
                auth = self.headers.get("Authorization", "")
                if call == ("sah.Device.Information", "createContext") and auth == "X-Sah-Login":
                    p = doc.get("parameters") or {}
                    if (p.get("username"), p.get("password")) != (emulator.user, emulator.password):
                        return self._send(401, DENIED)
                    context, cookie = secrets.token_urlsafe(24), secrets.token_hex(16)
                    emulator.contexts[context] = cookie
                    return self._send(200, {"status": 0, "data": {"contextID": context, "username": emulator.user,
                                                                  "groups": "http,admin"}}, cookie=cookie)
                context = self.headers.get("X-Context", "")
                cookie = emulator.contexts.get(context)
                if not cookie or f"sessid={cookie}" not in self.headers.get("Cookie", ""):
                    return self._send(401, DENIED)
                if call == ("sah.Device.Information", "releaseContext") and auth == f"X-Sah-Logout {context}":
                    del emulator.contexts[context]
                    emulator.released += 1
                    return self._send(200, {"status": 0})
                if auth != f"X-Sah {context}":
                    return self._send(401, DENIED)
                if call == ("VoiceService.VoiceApplication", "getCallList"):
                    return self._send(200, {"status": emulator.calls})
                return self._send(200, {"status": None, "errors": [{"error": 196618, "description": "Function not found",
                                                                    "info": ".".join(call)}]})

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def call(n, start, number="0162345010", kind="missed", duration=0, origin="remote"):
    """An entry as getCallList returns it: ``start`` ISO 8601 UTC with "Z"."""
    return {"callId": str(n), "remoteNumber": number, "remoteName": "", "startTime": start, "duration": duration,
            "callType": kind, "callOrigin": origin, "callDestination": "local", "phoneNumber": "0123456789"}
