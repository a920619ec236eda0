"""Trusted time-stamps (RFC 3161): ask an authority, read what it signed, check its signature
and, given a CA, whether that authority is trusted.

Everything shown about a token comes from its signed content, the TSTInfo (message imprint,
genTime, serial, policy, TSA name), read with an ASN.1 parser (asn1crypto); nothing comes from
the response's status text, which the authority does not sign. Three checks, kept apart
because they prove different things:

- ``Token.check_signature``: the CMS signature over the TSTInfo is valid for the certificate
  inside the token (math only, with ``cryptography``), that certificate is the one the token
  names (ESS signing-certificate attribute), is meant for time-stamping and was valid at the
  token's time. Anyone can make such a token with a self-made authority.
- ``check_trust``: the signer chains to a CA the user gave, verified by ``openssl ts -verify``
  at the token's own time (``-attime``), so a genuine token stays valid after the authority's
  certificate has expired. Revocation is not checked.
- the imprint: the token covers these bytes (``Token.covers``).

Whether a time-stamp is "qualified" (eIDAS) is a legal status this tool cannot establish: it
never says so.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from asn1crypto import algos, cms, tsp, x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from callwatch.errors import CallwatchError

MAX_TOKEN = 1 << 20            # a real token is a few kB; an answer this large is not one
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha224": hashes.SHA224,
           "sha1": hashes.SHA1}


class TokenError(CallwatchError):
    """A time-stamp token that is not what it claims (unreadable, not granted, bad signature...)."""


@dataclass
class Token:
    """A time-stamp response as the authority signed it. Read with ``parse``."""
    raw: bytes
    gen_time: datetime         # aware, UTC: the TSTInfo's genTime
    serial: int
    policy: str                # dotted OID
    tsa_name: str              # the TSTInfo's optional tsa field, "" when absent
    imprint_alg: str           # e.g. "sha256"
    imprint: bytes
    nonce: int | None
    _signed: cms.SignedData

    @property
    def time_text(self) -> str:
        return self.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")

    def covers(self, data: bytes) -> bool:
        if self.imprint_alg not in _HASHES or self.imprint_alg == "sha1":
            return False
        return hashlib.new(self.imprint_alg, data).digest() == self.imprint

    def signer(self) -> x509.Certificate:
        """The certificate the signature names (by issuer and serial, or key identifier)."""
        info = self._signer_info()
        sid = info["sid"]
        for choice in self._signed["certificates"] or []:
            if choice.name != "certificate":
                continue
            cert = choice.chosen
            if sid.name == "issuer_and_serial_number":
                if (cert.issuer == sid.chosen["issuer"]
                        and cert.serial_number == sid.chosen["serial_number"].native):
                    return x509.load_der_x509_certificate(cert.dump())
            elif cert.key_identifier == sid.chosen.native:
                return x509.load_der_x509_certificate(cert.dump())
        raise TokenError("the token does not carry the certificate of its signer (ask the authority with "
                         "certReq, as callwatch does)")

    def _signer_info(self) -> cms.SignerInfo:
        infos = self._signed["signer_infos"]
        if len(infos) != 1:
            raise TokenError(f"the token has {len(infos)} signatures, an RFC 3161 token has one")
        return infos[0]

    def check_signature(self) -> x509.Certificate:
        """Raise TokenError unless the TSTInfo is validly signed by the certificate in the token;
        return that certificate."""
        try:
            return self._check_signature()
        except TokenError:
            raise
        except Exception as exc:
            # asn1crypto parses lazily, and cryptography has its own exceptions (InvalidVersion...):
            # a damaged field of a hostile token surfaces anywhere in here, always as one sentence
            raise TokenError(f"the token's signature cannot be read ({type(exc).__name__})") from None

    def _check_signature(self) -> x509.Certificate:
        info = self._signer_info()
        cert = self.signer()
        attrs = {a["type"].native: a["values"] for a in (info["signed_attrs"] or [])}
        if not attrs:
            raise TokenError("the token's signature covers no signed attributes (RFC 3161 requires them)")
        digest_alg = info["digest_algorithm"]["algorithm"].native
        if digest_alg not in _HASHES or digest_alg == "sha1":
            raise TokenError(f"the token is signed with the digest {digest_alg}, not accepted")
        if attrs.get("content_type", [None])[0] is None or attrs["content_type"][0].native != "tst_info":
            raise TokenError("the token's signed content type is not a time-stamp (TSTInfo)")
        content = self._signed["encap_content_info"]["content"]
        expected = hashlib.new(digest_alg, bytes(content)).digest()
        if "message_digest" not in attrs or attrs["message_digest"][0].native != expected:
            raise TokenError("the token's time-stamp content was changed after it was signed")
        self._check_ess(attrs, cert)
        # The signature covers the DER of the signed attributes as a SET OF (tag 0x31), not
        # the [0] IMPLICIT tag they carry inside the SignerInfo (RFC 5652, 5.4).
        signed = info["signed_attrs"].dump()
        signed = b"\x31" + signed[1:]
        _verify_raw(cert, info["signature_algorithm"], digest_alg, info["signature"].native, signed)
        usage = _eku(cert)
        if x509.oid.ExtendedKeyUsageOID.TIME_STAMPING not in usage:
            raise TokenError(f"the signer's certificate ({_name(cert.subject)}) is not one for time-stamping "
                             "(no timeStamping extended key usage)")
        if not (cert.not_valid_before_utc <= self.gen_time <= cert.not_valid_after_utc):
            raise TokenError(f"the token's time {self.time_text} is outside its signer's certificate validity "
                             f"({cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})")
        return cert

    @staticmethod
    def _check_ess(attrs, cert: x509.Certificate) -> None:
        """The signed attribute naming the signer's certificate by its hash (RFC 2634/5035):
        without it another certificate with the same key could be passed off as the signer."""
        der = cert.public_bytes(Encoding.DER)
        if "signing_certificate_v2" in attrs:
            ids = attrs["signing_certificate_v2"][0]["certs"]
            alg = ids[0]["hash_algorithm"]["algorithm"].native if len(ids) else "sha256"
            if len(ids) and alg in _HASHES and ids[0]["cert_hash"].native == hashlib.new(alg, der).digest():
                return
        elif "signing_certificate" in attrs:
            ids = attrs["signing_certificate"][0]["certs"]
            if len(ids) and ids[0]["cert_hash"].native == hashlib.sha1(der).digest():
                return
        raise TokenError("the token's signed attributes do not name its signer's certificate (ESS)")


def _eku(cert):
    try:
        return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    except x509.ExtensionNotFound:
        return []


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


def _verify_raw(cert, sig_alg: algos.SignedDigestAlgorithm, digest_alg: str, signature: bytes, data: bytes) -> None:
    key = cert.public_key()
    algo = _HASHES[digest_alg]()
    kind = sig_alg.signature_algo
    try:
        if isinstance(key, rsa.RSAPublicKey) and kind == "rsassa_pkcs1v15":
            key.verify(signature, data, padding.PKCS1v15(), algo)
        elif isinstance(key, rsa.RSAPublicKey) and kind == "rsassa_pss":
            params = sig_alg["parameters"]
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            key.verify(signature, data, padding.PSS(padding.MGF1(_HASHES[mgf_hash]()), params["salt_length"].native),
                       _HASHES[params["hash_algorithm"]["algorithm"].native]())
        elif isinstance(key, ec.EllipticCurvePublicKey) and kind == "ecdsa":
            key.verify(signature, data, ec.ECDSA(algo))
        elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)) and kind in ("ed25519", "ed448"):
            key.verify(signature, data)
        else:
            raise TokenError(f"the token's signature algorithm ({kind}) does not fit its signer's key")
    except InvalidSignature:
        raise TokenError("the token's signature is not valid: it was not made by the certificate it names, "
                         "or its content was changed") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"the token's signature cannot be checked: {exc}") from None


def parse(raw: bytes) -> Token:
    """Read a time-stamp response (DER). Raise TokenError if it is not a granted RFC 3161 one."""
    if len(raw) > MAX_TOKEN:
        raise TokenError(f"the time-stamp file is {len(raw)} bytes, too large to be a token")
    try:
        resp = tsp.TimeStampResp.load(raw, strict=True)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            # the status text is the authority's unsigned words: shown, never believed
            text = resp["status"]["status_string"].native
            raise TokenError(f"the time-stamp was not granted ({status}" + (f": {' '.join(text)[:200]}" if text else "")
                             + ")")
        content_info = resp["time_stamp_token"]
        if content_info["content_type"].native != "signed_data":
            raise TokenError("the time-stamp token is not a signed CMS structure")
        signed = content_info["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TokenError("the time-stamp token does not hold a TSTInfo")
        info = encap["content"].parsed
        if not isinstance(info, tsp.TSTInfo):
            raise TokenError("the time-stamp token does not hold a TSTInfo")
        imprint = info["message_imprint"]
        tsa = info["tsa"]
        tsa_name = ""
        if tsa.native is not None:
            chosen = tsa.chosen
            tsa_name = chosen.human_friendly if isinstance(chosen, asn1_x509.Name) else str(tsa.native)
        gen_time = info["gen_time"].native
        token = Token(raw=raw, gen_time=gen_time.astimezone(timezone.utc), serial=info["serial_number"].native,
                      policy=info["policy"].dotted, tsa_name=tsa_name,
                      imprint_alg=imprint["hash_algorithm"]["algorithm"].native,
                      imprint=imprint["hashed_message"].native, nonce=info["nonce"].native, _signed=signed)
    except TokenError:
        raise
    except Exception as exc:           # asn1crypto raises many kinds on hostile DER
        raise TokenError(f"the time-stamp file is not an RFC 3161 response ({type(exc).__name__})") from None
    return token


def _openssl() -> str:
    path = shutil.which("openssl")
    if not path:
        raise CallwatchError("checking a time-stamp against a CA needs the `openssl` command "
                             "(Debian: apt-get install openssl)")
    return path


def check_trust(raw: bytes, data: bytes, ca_file: Path, at: datetime) -> None:
    """Raise TokenError unless ``openssl ts -verify`` accepts the token for ``data`` with a chain
    to ``ca_file``, evaluated at the token's own time ``at`` (an authority's certificate that
    expired since does not void the tokens it signed while valid)."""
    with tempfile.TemporaryDirectory() as tmp:
        t, d = Path(tmp) / "token.tsr", Path(tmp) / "data"
        t.write_bytes(raw)
        d.write_bytes(data)
        args = [_openssl(), "ts", "-verify", "-in", str(t), "-data", str(d), "-CAfile", str(ca_file),
                "-attime", str(int(at.timestamp()))]
        try:
            proc = subprocess.run(args, capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TokenError(f"openssl could not check the token: {exc}") from None
    if proc.returncode:
        reason = [ln for ln in proc.stderr.decode(errors="replace").splitlines() if "error" in ln.lower()]
        detail = reason[-1].rsplit(":", 1)[-1].strip() if reason else "verification failed"
        raise TokenError(f"not trusted: the token does not chain to the CA {ca_file.name} ({detail})")


def signer_summary(cert: x509.Certificate) -> str:
    return f"{_name(cert.subject)} (certificate issued by {_name(cert.issuer)})"


def request_token(url: str, data: bytes, timeout_s: float = 30, ca_file: Path | None = None) -> bytes:
    """Ask the authority at ``url`` to time-stamp SHA-256(data); return the DER response once its
    signed content is checked: our hash, our nonce (a replayed older answer has another), a valid
    signature and, with ``ca_file``, a trusted signer."""
    digest = hashlib.sha256(data).digest()
    nonce = secrets.randbits(63)
    query = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce, "cert_req": True}).dump()
    shown = redact_url(url)
    headers = {"Content-Type": "application/timestamp-query"}
    parts = urlsplit(url)
    if parts.username is not None:      # an authority behind a login: HTTP basic, never in the URL sent
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(login).decode()
        url = shown.replace("***@", "", 1)
    req = urllib.request.Request(url, data=query, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            raw = resp.read(MAX_TOKEN + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise CallwatchError(f"time-stamping authority {shown} did not answer: {exc}") from None
    try:
        token = parse(raw)
        if token.imprint_alg != "sha256" or token.imprint != digest:
            raise TokenError("it stamped another hash than the pack's")
        if token.nonce != nonce:
            raise TokenError("its answer does not carry our request's nonce (a replayed or foreign answer)")
        token.check_signature()
        if ca_file is not None:
            check_trust(raw, data, ca_file, token.gen_time)
    except TokenError as exc:
        raise CallwatchError(f"time-stamping authority {shown}: {exc}") from None
    return raw


def redact_url(url: str) -> str:
    """The URL without its user and password, to be printed or written in a pack."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


__all__ = ["Token", "TokenError", "parse", "check_trust", "request_token", "redact_url", "signer_summary"]
