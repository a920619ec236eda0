"""RFC 3161 time-stamps against a real local authority: `openssl ts` behind HTTP on 127.0.0.1."""

import hashlib
import http.server
import subprocess
import threading
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from callwatch import config as config_mod
from callwatch.detect import scan
from callwatch.errors import CallwatchError
from callwatch.evidence import data as evidence_data, pack as evidence_pack, timestamp
from callwatch.evidence.verify import verify
from household import OPERATOR_CONFIG, build, oppo_xml

TSA_CONF = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _ssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsa")
    _ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
         "-subj", "/CN=callwatch test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=callwatch test TSA",
         cwd=d)
    (d / "ext.cnf").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                               "extendedKeyUsage=critical,timeStamping\n")
    _ssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem",
         "-days", "2", "-extfile", "ext.cnf", cwd=d)
    (d / "tsaserial").write_text("01\n")
    (d / "tsa.cnf").write_text(TSA_CONF.format(dir=d))
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (d / "q.tsq").write_bytes(body)
                subprocess.run(["openssl", "ts", "-reply", "-config", str(d / "tsa.cnf"), "-queryfile", "q.tsq",
                                "-out", "r.tsr"], cwd=d, check=True, capture_output=True)
                reply = (d / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsr", d / "ca.pem"
    server.shutdown()


def _pack(make_household, tmp_path, extra):
    h = make_household(OPERATOR_CONFIG + extra)
    h.import_(h.write("calls.xml", oppo_xml(build())))
    scan(h.store, h.config)
    gathered = evidence_data.gather(h.store, h.config, at=datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc))
    return h, evidence_pack.build(gathered, tmp_path / "out", "en")


def test_pack_is_time_stamped_and_verified(make_household, tmp_path, tsa):
    url, ca = tsa
    h, result = _pack(make_household, tmp_path, f'\n[timestamp]\nurl = "{url}"\nca_file = "{ca}"\n')
    token = (result.folder / "manifest.tsr").read_bytes()
    info = timestamp.describe(token)
    assert info.imprint == result.fingerprint and "GMT" in info.time
    report = verify(result.zip_path, h.store, ca)
    assert report.ok and report.timestamp.startswith("signature and imprint valid")
    text = " ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages)
    assert f"time-stamped by the authority {url}" in " ".join(text.split())


def test_a_rewritten_manifest_no_longer_matches_its_token(make_household, tmp_path, tsa):
    url, ca = tsa
    h, result = _pack(make_household, tmp_path, f'\n[timestamp]\nurl = "{url}"\n')
    manifest = result.folder / "manifest.json"
    forged = manifest.read_bytes().replace(b'"subject": "Op', b'"subject": "Xp')
    manifest.write_bytes(forged)
    # a careful forger also rewrites the checksums: only the token still tells
    sums = (result.folder / "SHA256SUMS").read_text().splitlines()
    fixed = [f"{hashlib.sha256(forged).hexdigest()}  manifest.json" if line.endswith("  manifest.json") else line
             for line in sums]
    (result.folder / "SHA256SUMS").write_text("\n".join(fixed) + "\n")
    report = verify(result.folder, None, ca)
    assert not report.ok and any("does not cover this manifest" in p for p in report.problems)


def test_unreachable_authority_is_a_clear_error(make_household, tmp_path):
    with pytest.raises(CallwatchError, match="did not answer"):
        _pack(make_household, tmp_path, '\n[timestamp]\nurl = "http://127.0.0.1:9/tsr"\ntimeout_s = 2\n')


def test_without_authority_the_date_is_self_declared(make_household, tmp_path):
    _, result = _pack(make_household, tmp_path, "")
    assert not (result.folder / "manifest.tsr").exists()
    text = " ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages)
    assert "Self-declared date" in " ".join(text.split())


def test_timestamp_config_is_validated(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[timestamp]\nurl = "ftp://tsa"\n')
    with pytest.raises(config_mod.ConfigError, match="timestamp.url: must be an http"):
        config_mod.load(path)
