"""A small FRITZ!Box TR-064 emulator on 127.0.0.1, following the real protocol as fritzconnection
meets it: the device description (``tr64desc.xml``; no ``igddesc.xml``, as with UPnP status off),
one SCPD file per service, SOAP actions behind HTTP digest authentication (MD5, qop=auth, realm
"F!Box SOAP-Auth"), ``GetCallList`` answering a ``calllist.lua?sid=`` address, and that list as the
box serves it (``<root><timestamp>`` then ``<Call>`` elements, local times, ``H:MM`` durations)."""

import hashlib
import http.server
import re
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

REALM = "F!Box SOAP-Auth"
ONTEL = "urn:dslforum-org:service:X_AVM-DE_OnTel:1"
DEVICEINFO = "urn:dslforum-org:service:DeviceInfo:1"

DESCRIPTION = """<?xml version="1.0"?>
<root xmlns="urn:dslforum-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<systemVersion><HW>226</HW><Major>164</Major><Minor>7</Minor><Patch>57</Patch><Buildnumber>108642</Buildnumber><Display>164.07.57</Display></systemVersion>
<device>
<deviceType>urn:dslforum-org:device:InternetGatewayDevice:1</deviceType>
<friendlyName>FRITZ!Box 7530 AX</friendlyName>
<manufacturer>AVM</manufacturer>
<manufacturerURL>www.avm.de</manufacturerURL>
<modelDescription>FRITZ!Box 7530 AX</modelDescription>
<modelName>FRITZ!Box 7530 AX</modelName>
<modelNumber> - avm</modelNumber>
<modelURL>www.avm.de</modelURL>
<UDN>uuid:739f2409-bccb-40e7-8e6c-3c3712345678</UDN>
<serviceList>
<service>
<serviceType>urn:dslforum-org:service:DeviceInfo:1</serviceType>
<serviceId>urn:DeviceInfo-com:serviceId:DeviceInfo1</serviceId>
<controlURL>/upnp/control/deviceinfo</controlURL>
<eventSubURL>/upnp/control/deviceinfo</eventSubURL>
<SCPDURL>/deviceinfoSCPD.xml</SCPDURL>
</service>
<service>
<serviceType>urn:dslforum-org:service:X_AVM-DE_OnTel:1</serviceType>
<serviceId>urn:X_AVM-DE_OnTel-com:serviceId:X_AVM-DE_OnTel1</serviceId>
<controlURL>/upnp/control/x_contact</controlURL>
<eventSubURL>/upnp/control/x_contact</eventSubURL>
<SCPDURL>/x_contactSCPD.xml</SCPDURL>
</service>
</serviceList>
<presentationURL>http://fritz.box</presentationURL>
</device>
</root>
"""


def _scpd(actions, variables):
    out = ['<?xml version="1.0"?>\n<scpd xmlns="urn:dslforum-org:service-1-0">',
           "<specVersion><major>1</major><minor>0</minor></specVersion><actionList>"]
    for name, args in actions:
        out.append(f"<action><name>{name}</name><argumentList>")
        for arg, direction, var in args:
            out.append(f"<argument><name>{arg}</name><direction>{direction}</direction>"
                       f"<relatedStateVariable>{var}</relatedStateVariable></argument>")
        out.append("</argumentList></action>")
    out.append("</actionList><serviceStateTable>")
    for name, kind in variables:
        out.append(f'<stateVariable sendEvents="no"><name>{name}</name><dataType>{kind}</dataType></stateVariable>')
    out.append("</serviceStateTable></scpd>\n")
    return "".join(out)


SCPDS = {
    "/x_contactSCPD.xml": _scpd(
        [("GetCallList", [("NewCallListURL", "out", "X_AVM-DE_CallListURL")]),
         ("GetPhonebookList", [("NewPhonebookList", "out", "X_AVM-DE_PhonebookList")])],
        [("X_AVM-DE_CallListURL", "string"), ("X_AVM-DE_PhonebookList", "string")]),
    "/deviceinfoSCPD.xml": _scpd(
        [("GetInfo", [("NewModelName", "out", "ModelName"), ("NewSoftwareVersion", "out", "SoftwareVersion"),
                      ("NewDescription", "out", "Description")])],
        [("ModelName", "string"), ("SoftwareVersion", "string"), ("Description", "string")]),
}


def _envelope(action, service, body):
    return ('<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">\n<s:Body>\n'
            f'<u:{action}Response xmlns:u="{service}">\n{body}\n</u:{action}Response>\n</s:Body>\n</s:Envelope>')


def _fault(code, text):
    return ('<?xml version="1.0"?>\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">\n<s:Body>\n<s:Fault>\n'
            '<faultcode>s:Client</faultcode>\n<faultstring>UPnPError</faultstring>\n<detail>\n'
            '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0">\n'
            f'<errorCode>{code}</errorCode>\n<errorDescription>{text}</errorDescription>\n'
            '</UPnPError>\n</detail>\n</s:Fault>\n</s:Body>\n</s:Envelope>')


def _md5(text):
    return hashlib.md5(text.encode()).hexdigest()


class FritzBoxEmulator:
    def __init__(self, calls=None, user="callwatch", password="fritz-secret-1234"):
        self.calls = list(calls or [])
        self.user, self.password = user, password
        self.nonces = set()
        self.sids = set()
        self.requests = []
        self.refused_logins = 0
        emulator = self

        class Handler(http.server.BaseHTTPRequestHandler):

            def _send(self, code, body, ctype="text/xml; charset=\"utf-8\"", extra=()):
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                emulator.requests.append(("GET", self.path))
                parts = urlsplit(self.path)
                if parts.path == "/tr64desc.xml":
                    return self._send(200, DESCRIPTION)
                if parts.path in SCPDS:
                    return self._send(200, SCPDS[parts.path])
                if parts.path == "/calllist.lua":
                    sid = parse_qs(parts.query).get("sid", [""])[0]
                    if sid not in emulator.sids:
                        return self._send(403, "<html><body>Forbidden</body></html>", "text/html")
                    return self._send(200, emulator.call_list())
                return self._send(404, "<html><body>404 Not Found</body></html>", "text/html")

            def _authorised(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Digest "):
                    return False
                f = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
                if f.get("nonce") not in emulator.nonces or f.get("username") != emulator.user:
                    return False
                ha1 = _md5(f"{emulator.user}:{REALM}:{emulator.password}")
                ha2 = _md5(f"POST:{f.get('uri', '')}")
                want = _md5(f"{ha1}:{f['nonce']}:{f.get('nc', '')}:{f.get('cnonce', '')}:{f.get('qop', '')}:{ha2}")
                return f.get("response") == want

            def do_POST(self):
                emulator.requests.append(("POST", self.path))
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = (self.headers.get("SOAPACTION") or "").strip('"')
                if not self._authorised():
                    emulator.refused_logins += "Authorization" in self.headers
                    nonce = secrets.token_hex(8).upper()
                    emulator.nonces.add(nonce)
                    challenge = f'Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"'
                    return self._send(401, "<HTML><HEAD><TITLE>401 Unauthorized</TITLE></HEAD><BODY>"
                                      "<H1>401 Unauthorized</H1>Authentication required</BODY></HTML>",
                                      "text/html", [("WWW-Authenticate", challenge)])
                if self.path == "/upnp/control/x_contact" and action == f"{ONTEL}#GetCallList":
                    sid = secrets.token_hex(8)
                    emulator.sids.add(sid)
                    host = self.headers.get("Host", "fritz.box:49000")
                    url = f"http://{host}/calllist.lua?sid={sid}"
                    return self._send(200, _envelope("GetCallList", ONTEL, f"<NewCallListURL>{url}</NewCallListURL>"))
                if self.path == "/upnp/control/deviceinfo" and action == f"{DEVICEINFO}#GetInfo":
                    return self._send(200, _envelope("GetInfo", DEVICEINFO,
                                                     "<NewModelName>FRITZ!Box 7530 AX</NewModelName>"
                                                     "<NewSoftwareVersion>164.07.57</NewSoftwareVersion>"
                                                     "<NewDescription>FRITZ!Box 7530 AX 164.07.57</NewDescription>"))
                return self._send(500, _fault(401, "Invalid Action"))

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def call_list(self):
        rows = "".join(
            f"<Call><Id>{c['id']}</Id><Type>{c['type']}</Type><Caller>{c['caller']}</Caller>"
            f"<Called>SIP: {c['called']}</Called><CalledNumber>{c['called']}</CalledNumber><Name></Name>"
            f"<Numbertype>sip</Numbertype><Device>{c['device']}</Device><Port>{c['port']}</Port>"
            f"<Date>{c['date']}</Date><Duration>{c['duration']}</Duration><Count></Count><Path /></Call>\n"
            for c in sorted(self.calls, key=lambda c: -c["id"]))
        return f'<?xml version="1.0" encoding="utf-8"?>\n<root><timestamp>1793100000</timestamp>\n{rows}</root>\n'

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def call(id_, date, caller="0162345010", kind=2, duration="0:00", called="0123456789"):
    """A call as the box lists it: ``date`` is ``dd.mm.yy HH:MM`` local time; kind 1 in, 2 missed, 3 out."""
    return {"id": id_, "type": kind, "caller": caller, "called": called, "date": date, "duration": duration,
            "device": "Telefon" if kind != 2 else "", "port": 10 if kind != 2 else -1}
