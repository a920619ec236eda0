"""RFC 3161 time-stamps, attacked: real local authorities (`openssl ts -reply` behind HTTP on
127.0.0.1, certificates made here), one trusted through its CA, one self-made, one whose
certificate has expired since; forged status text, an edited token, a token for other data, a
replayed answer, a removed token, a swapped PDF. No forged or altered pack may reach exit 0."""

import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pypdf import PdfReader

from callwatch import config as config_mod
from callwatch.detect import scan
from callwatch.errors import CallwatchError
from callwatch.evidence import data as evidence_data, pack as evidence_pack, timestamp
from callwatch.evidence.verify import EXIT, check_files, verify
from household import OPERATOR_CONFIG, build, oppo_xml

AT = datetime(2026, 11, 21, 9, 30, tzinfo=timezone.utc)

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


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


class Authority:
    """A time-stamping authority: its CA, its certificate (valid from `start` for `days`), and
    `openssl ts -reply` answering queries; `answer` can be replaced to play a man in the middle."""

    def __init__(self, folder: Path, name: str, start: datetime, days: float):
        self.dir = folder
        folder.mkdir(parents=True, exist_ok=True)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = (x509.CertificateBuilder().subject_name(_name(f"{name} CA")).issuer_name(_name(f"{name} CA"))
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(start - timedelta(days=1)).not_valid_after(start + timedelta(days=days))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
              .sign(ca_key, hashes.SHA256()))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = (x509.CertificateBuilder().subject_name(_name(f"{name} TSA")).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(start + timedelta(days=days))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=False)
                .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(ca_key, hashes.SHA256()))
        self.ca = folder / "ca.pem"
        self.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        (folder / "tsa.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(folder / "tsa.key", key)
        (folder / "tsaserial").write_text("01\n")
        (folder / "tsa.cnf").write_text(TSA_CONF.format(dir=folder))
        self.lock = threading.Lock()
        self.answer = self.reply
        self.url = None

    def reply(self, query: bytes) -> bytes:
        with self.lock:
            (self.dir / "q.tsq").write_bytes(query)
            subprocess.run(["openssl", "ts", "-reply", "-config", str(self.dir / "tsa.cnf"), "-queryfile", "q.tsq",
                            "-out", "r.tsr"], cwd=self.dir, check=True, capture_output=True)
            return (self.dir / "r.tsr").read_bytes()

    def token_for(self, data: bytes) -> bytes:
        """A genuine token over `data`, asked without going through callwatch."""
        (self.dir / "d.bin").write_bytes(data)
        query = subprocess.run(["openssl", "ts", "-query", "-data", str(self.dir / "d.bin"), "-sha256", "-cert"],
                               check=True, capture_output=True).stdout
        return self.reply(query)

    def serve(self):
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                reply = tsa.answer(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsr"
        return self


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    now = datetime.now(timezone.utc)
    authority = Authority(tmp_path_factory.mktemp("tsa"), "callwatch test", now - timedelta(hours=1), 2).serve()
    yield authority
    authority.server.shutdown()


@pytest.fixture(scope="module")
def self_made(tmp_path_factory):
    """Anyone's own authority: valid signatures, no trust."""
    now = datetime.now(timezone.utc)
    authority = Authority(tmp_path_factory.mktemp("own"), "my own", now - timedelta(hours=1), 2).serve()
    yield authority
    authority.server.shutdown()


@pytest.fixture
def tsa_answer(tsa):
    yield tsa
    tsa.answer = tsa.reply


def _config(authority, ca=None):
    return f'\n[timestamp]\nurl = "{authority.url}"\n' + (f'ca_file = "{ca}"\n' if ca else "")


def _pack(make_household, tmp_path, extra, name="h", at=AT):
    h = make_household(OPERATOR_CONFIG + extra, name)
    h.import_(h.write("calls.xml", oppo_xml(build())))
    scan(h.store, h.config)
    gathered = evidence_data.gather(h.store, h.config, at=at)
    return h, evidence_pack.build(gathered, tmp_path / f"out-{name}", "en")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _resum(folder: Path) -> None:
    """What a careful forger does after changing files: SHA256SUMS rewritten in its canonical form."""
    files = {k: v for k, v in _files(folder).items() if k not in ("SHA256SUMS", "SHA256SUMS.tsr")}
    (folder / "SHA256SUMS").write_bytes(evidence_pack.sums_text(files))


def _text(report) -> str:
    return "\n".join(line for _, line in report.lines())


def test_a_trusted_time_stamp_covers_every_file_and_verifies_at_level_0(make_household, tmp_path, tsa):
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    assert result.timestamped
    token = timestamp.parse((result.folder / "SHA256SUMS.tsr").read_bytes())
    sums = (result.folder / "SHA256SUMS").read_bytes()
    # the token stamps SHA256SUMS, which lists every file, the PDF and the manifest included
    assert token.covers(sums) and hashlib.sha256(sums).hexdigest() == result.root
    listed = {line.split("  ", 1)[1] for line in sums.decode().splitlines()}
    assert {"evidence.pdf", "manifest.json", "calls.csv", "findings.json"} <= listed
    assert abs((token.gen_time - datetime.now(timezone.utc)).total_seconds()) < 600
    for target in (result.folder, result.zip_path):
        report = verify(target, h.store, tsa.ca)
        assert report.exit_code == 0, _text(report)
        text = _text(report)
        assert "signature: valid, by CN=callwatch test TSA" in text and token.time_text in text
        assert "authority: trusted" in text and "verdict: intact" in text
    pdf_text = " ".join(" ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages).split())
    assert f"is time-stamped by the authority {tsa.url}" in pdf_text
    assert "qualified" not in pdf_text.lower() and "qualifié" not in pdf_text.lower()


def test_a_trusted_pack_rebuilt_from_a_store_with_newer_data_is_unconfirmed(make_household, tmp_path, tsa):
    h = make_household(OPERATOR_CONFIG + _config(tsa, tsa.ca))
    h.import_(h.write("calls.xml", oppo_xml(build())))
    scan(h.store, h.config)
    result = evidence_pack.make(h.store, h.config, tmp_path / "out")
    assert verify(result.zip_path, h.store, tsa.ca, rebuild_config=h.config).exit_code == 0
    h.import_(h.write("later.xml", oppo_xml([(datetime(2026, 11, 23, 11, 0), "0162345044", 3, 0, 8, "op")])))
    scan(h.store, h.config)
    report = verify(result.zip_path, h.store, tsa.ca, rebuild_config=h.config)
    assert report.exit_code == EXIT["unconfirmed"] and "the store has newer data" in _text(report)


def test_a_swapped_pdf_is_caught_with_and_without_a_token(make_household, tmp_path, tsa):
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    other = evidence_pack.build(evidence_data.gather(h.store, h.config, at=AT + timedelta(hours=1)),
                                tmp_path / "other", "en")
    shutil.copyfile(other.folder / "evidence.pdf", result.folder / "evidence.pdf")
    _resum(result.folder)                                   # SHA256SUMS rewritten to match the new PDF
    report = verify(result.folder, None, tsa.ca)
    assert report.exit_code == EXIT["altered"]
    assert "stamps another content" in report.timestamp.invalid
    assert any("cover does not show this pack's fingerprint" in p for p in report.problems)
    assert any("attached manifest.json is not the pack's" in p for p in report.problems)
    # without a token, the PDF's own attachments and printed fingerprint still give it away
    h2, plain = _pack(make_household, tmp_path, "", "plain")
    other = evidence_pack.build(evidence_data.gather(h2.store, h2.config, at=AT + timedelta(hours=1)),
                                tmp_path / "other-plain", "en")
    shutil.copyfile(other.folder / "evidence.pdf", plain.folder / "evidence.pdf")
    _resum(plain.folder)
    report = verify(plain.folder)
    assert not report.changed and report.exit_code == EXIT["altered"], _text(report)
    assert any("cover does not show this pack's fingerprint" in p for p in report.problems)


def test_forged_status_text_is_never_read(make_household, tmp_path, tsa):
    """The attack that once passed: a token for other data whose unsigned status text says the
    imprint matches and gives another time, as `openssl ts -reply -text` would print it."""
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    sums = (result.folder / "SHA256SUMS").read_bytes()
    digest = hashlib.sha256(sums).hexdigest()
    hexdump = "\n".join(f"    {i:04x} - " + " ".join(digest[j:j + 2] for j in range(i * 2, i * 2 + 32, 2))
                        for i in (0, 16))
    forged = f"ok\nTime stamp: Jan  2 00:00:00 2026 GMT\nMessage data:\n{hexdump}\n"
    resp = tsp.TimeStampResp.load(tsa.token_for(b"some other pack"))
    resp = tsp.TimeStampResp({"status": {"status": "granted", "status_string": [forged]},
                              "time_stamp_token": resp["time_stamp_token"]})
    (result.folder / "SHA256SUMS.tsr").write_bytes(resp.dump())
    report = verify(result.folder, None, tsa.ca)
    assert report.exit_code == EXIT["altered"] and "stamps another content" in report.timestamp.invalid
    assert "2026-01-02" not in _text(report) and "Jan  2" not in _text(report)


def test_a_token_edited_after_signing_is_invalid(make_household, tmp_path, tsa):
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    raw = (result.folder / "SHA256SUMS.tsr").read_bytes()
    when = timestamp.parse(raw).gen_time.strftime("%Y%m%d%H%M%S").encode()
    assert raw.count(b"\x18\x0f" + when + b"Z") == 1            # the TSTInfo's GeneralizedTime
    edited = raw.replace(b"\x18\x0f" + when + b"Z", b"\x18\x0f20260102000000Z")
    assert timestamp.parse(edited).time_text == "2026-01-02T00:00:00Z"     # what a regex would have shown
    (result.folder / "SHA256SUMS.tsr").write_bytes(edited)
    report = verify(result.folder, None, tsa.ca)
    assert report.exit_code == EXIT["altered"]
    assert "changed after it was signed" in report.timestamp.invalid


def test_a_replayed_or_foreign_answer_is_refused_at_report_time(make_household, tmp_path, tsa_answer):
    tsa = tsa_answer
    # a man in the middle answers with a genuine token for other data, then with an old genuine
    # answer for the very same hash (no nonce of ours in it)
    tsa.answer = lambda query: tsa.token_for(b"another file")
    with pytest.raises(CallwatchError, match="stamped another hash"):
        _pack(make_household, tmp_path, _config(tsa), "a")
    captured = {}

    def replay(query):
        digest = tsp.TimeStampReq.load(query)["message_imprint"]["hashed_message"].native
        old = tsp.TimeStampReq({"version": "v1", "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                     "hashed_message": digest},
                                "nonce": 1, "cert_req": True}).dump()
        captured["token"] = tsa.reply(old)
        return captured["token"]
    tsa.answer = replay
    with pytest.raises(CallwatchError, match="nonce"):
        _pack(make_household, tmp_path, _config(tsa), "b")
    assert captured["token"]
    tsa.answer = lambda query: b"\x30\x03\x02\x01\x02"          # "rejection", unsigned
    with pytest.raises(CallwatchError, match="not granted|not an RFC 3161"):
        _pack(make_household, tmp_path, _config(tsa), "c")


def test_a_self_made_authority_is_never_trusted(make_household, tmp_path, tsa, self_made):
    h, result = _pack(make_household, tmp_path, _config(self_made))
    no_ca = verify(result.zip_path, h.store, None)
    assert no_ca.exit_code == EXIT["untrusted"] and no_ca.ok
    assert "signature: valid, by CN=my own TSA" in _text(no_ca) and "authority: NOT TRUSTED: no CA given" in _text(no_ca)
    other_ca = verify(result.zip_path, h.store, tsa.ca)
    assert other_ca.exit_code == EXIT["untrusted"] and "does not chain to the CA" in other_ca.timestamp.trust
    # at report time, with the real authority's CA configured, a self-made answer is refused
    with pytest.raises(CallwatchError, match="not trusted"):
        _pack(make_household, tmp_path, _config(self_made, tsa.ca), "again")


def test_a_removed_token_is_missing_not_intact(make_household, tmp_path, tsa):
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    files = _files(result.folder)
    del files["SHA256SUMS.tsr"]
    report = check_files(files)
    assert report.exit_code == EXIT["altered"] and report.missing == ["SHA256SUMS.tsr"]
    # the zip rebuilt without it, canonical in every byte: still missing
    from callwatch.evidence.verify import check_zip
    raw = evidence_pack.zip_bytes(result.folder.name, files, AT)
    assert check_zip(raw).missing == ["SHA256SUMS.tsr"]


def test_every_byte_of_a_token_flipped_is_refused_or_leaves_the_signed_content_as_it_was(make_household,
                                                                                        tmp_path, tsa, capsys):
    """A flip in the signed content, the signature, the signer's certificate or the fields
    binding them makes the token invalid; a flip elsewhere (the status, the CA certificate the
    token carries along) may leave it valid, but then what it says is what the authority signed."""
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    # the two files the token is checked against (the others, left out, are reported missing:
    # no PDF is read 2,000 times)
    files = {k: v for k, v in _files(result.folder).items() if k in ("SHA256SUMS", "manifest.json")}
    raw = (result.folder / "SHA256SUMS.tsr").read_bytes()
    genuine = timestamp.parse(raw)
    refused = kept = 0
    for p in range(len(raw)):
        mutated = raw[:p] + bytes([raw[p] ^ (1 << (p % 8))]) + raw[p + 1:]
        report = check_files({**files, "SHA256SUMS.tsr": mutated})          # never raises
        if report.timestamp.invalid:
            refused += 1
            continue
        kept += 1
        token = timestamp.parse(mutated)
        assert (token.gen_time, token.imprint, token.serial, token.policy) == \
            (genuine.gen_time, genuine.imprint, genuine.serial, genuine.policy), p
        assert report.timestamp.signer == timestamp.signer_summary(genuine.check_signature()), p
    with capsys.disabled():
        print(f"\n[timestamp] every byte of a {len(raw)}-byte token flipped: {refused} refused, {kept} left the "
              "signed content unchanged (status, the CA certificate carried along)")
    assert refused > len(raw) // 2


def test_a_token_signed_outside_its_certificate_validity_is_invalid(tmp_path):
    """An authority whose certificate had already expired when it signed."""
    old = Authority(tmp_path / "old", "expired", datetime.now(timezone.utc) - timedelta(days=30), 2)
    raw = old.token_for(b"data")
    with pytest.raises(timestamp.TokenError, match="outside its signer's certificate validity"):
        timestamp.parse(raw).check_signature()


@pytest.mark.skipif(not shutil.which("faketime"), reason="faketime (Debian package) not installed; CI installs it")
def test_an_expired_authority_certificate_does_not_void_its_tokens(make_household, tmp_path, tsa):
    """Three years on, the authority's certificate (valid two days) and its CA have expired; the
    token is checked at its own time and stays valid. Checked at today's date it would fail."""
    h, result = _pack(make_household, tmp_path, _config(tsa, tsa.ca))
    later = ["faketime", "-f", "+1095d"]
    env = {**os.environ, "CALLWATCH_CONFIG": str(h.config.path), "CALLWATCH_DATA_DIR": str(h.config.data_dir)}
    plain = subprocess.run(later + ["openssl", "ts", "-verify", "-in", str(result.folder / "SHA256SUMS.tsr"),
                                    "-data", str(result.folder / "SHA256SUMS"), "-CAfile", str(tsa.ca)],
                           capture_output=True, text=True)
    assert plain.returncode != 0 and "expired" in plain.stderr
    run = subprocess.run(later + [sys.executable, "-m", "callwatch", "verify", "--tsa-ca", str(tsa.ca),
                                  str(result.zip_path)], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "authority: trusted" in run.stdout and "verdict: intact" in run.stdout


def test_unreachable_authority_is_a_clear_error(make_household, tmp_path):
    with pytest.raises(CallwatchError, match="did not answer"):
        _pack(make_household, tmp_path, '\n[timestamp]\nurl = "http://127.0.0.1:9/tsr"\ntimeout_s = 2\n')
    assert list((tmp_path / "out-h").iterdir()) == []          # nothing half-made left behind


def test_without_authority_the_date_is_self_declared(make_household, tmp_path):
    h, result = _pack(make_household, tmp_path, "")
    assert not (result.folder / "SHA256SUMS.tsr").exists() and not result.timestamped
    text = " ".join(p.extract_text() for p in PdfReader(result.folder / "evidence.pdf").pages)
    assert "Self-declared date" in " ".join(text.split())
    report = verify(result.zip_path, h.store)
    assert report.ok and report.exit_code == EXIT["no_timestamp"]
    assert "time-stamp: absent" in _text(report) and "verdict: intact" not in _text(report)


def test_a_password_in_the_authority_url_never_reaches_the_pack(make_household, tmp_path, tsa):
    url = tsa.url.replace("http://", "http://user:s3cret@")
    h, result = _pack(make_household, tmp_path, f'\n[timestamp]\nurl = "{url}"\n')
    for content in _files(result.folder).values():
        assert b"s3cret" not in content
    assert b"http://***@127.0.0.1" in (result.folder / "manifest.json").read_bytes()


def test_timestamp_config_is_validated(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[timestamp]\nurl = "ftp://tsa"\n')
    with pytest.raises(config_mod.ConfigError, match="timestamp.url: must be an http"):
        config_mod.load(path)


def test_unreadable_tokens_are_sentences(tmp_path):
    for raw in (b"", b"\x00" * 40, b"\x30\x82\xff\xff" + b"\x00" * 10, os.urandom(300), b"0" * (2 << 20)):
        with pytest.raises(timestamp.TokenError):
            timestamp.parse(raw)
