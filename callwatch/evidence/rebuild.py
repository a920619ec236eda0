"""`verify --store`: make the pack again from the store, with the inputs its manifest records
(finding, period, generation time, language, time-stamping authority), and compare every file
byte for byte.

A pack is a pure function of the store, the configuration, the rule pack and the software
(pack.py: same inputs, same bytes). So a difference means one of those changed since, or the
pack did. The first ones are looked for and named; only when none of them changed is the
difference called what it is: the pack is not what this store gives.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timezone
from pathlib import Path

from callwatch import __version__
from callwatch.errors import CallwatchError
from callwatch.evidence.verify import TOKEN, LEGACY_TOKEN, RebuildCheck


def rebuild(files: dict[str, bytes], manifest: dict, store, config) -> RebuildCheck:
    from callwatch.evidence import data as data_mod, pack as pack_mod
    check = RebuildCheck()
    inputs = manifest.get("inputs")
    if manifest.get("pack_format") != pack_mod.PACK_FORMAT or not isinstance(inputs, dict):
        check.impossible = ("the pack does not record every input it was made from (made by a callwatch "
                            "before pack format 2)")
        return check
    at = datetime.strptime(manifest["generated_at_utc"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    recorded = manifest.get("store") if isinstance(manifest.get("store"), dict) else {}
    last_import = recorded.get("last_import_id") if isinstance(recorded.get("last_import_id"), int) else None
    check.explanations = _explanations(manifest, inputs, last_import, store, config, pack_mod)
    row = store.conn.execute("SELECT id FROM findings WHERE key = ? ORDER BY id DESC LIMIT 1",
                             [manifest["finding_key"]]).fetchone()
    if row is None:
        check.impossible = (f"the store's latest scan has no finding {manifest['finding_key']!r}"
                            + (f" ({'; '.join(check.explanations)})" if check.explanations else ""))
        return check
    try:
        period = [date.fromisoformat(inputs[k]) if inputs.get(k) else None for k in ("from", "to")]
        gathered = data_mod.gather(store, config, finding_id=row[0], start=period[0], end=period[1], at=at)
        gathered.date_given = bool(inputs.get("date_given_by_user"))
        with tempfile.TemporaryDirectory(prefix="callwatch-rebuild-") as tmp:
            result = pack_mod.build(gathered, Path(tmp), str(inputs.get("language") or "en"), stamp=False,
                                    authority=inputs.get("timestamp_authority"), last_import=last_import)
            again = {p.relative_to(result.folder).as_posix(): p.read_bytes()
                     for p in result.folder.rglob("*") if p.is_file()}
    except (CallwatchError, ValueError, TypeError) as exc:
        check.impossible = f"the store cannot give this pack again: {exc}"
        return check
    tokens = {TOKEN, LEGACY_TOKEN}     # a token is the authority's, never remade
    check.differs = sorted(name for name in (set(files) | set(again)) - tokens if files.get(name) != again.get(name))
    return check


def _explanations(manifest: dict, inputs: dict, last_import: int | None, store, config, pack_mod) -> list[str]:
    """What changed since the pack was made, other than the pack itself."""
    out = []
    if last_import is not None:
        newer = store.conn.execute("SELECT COUNT(*) FROM imports WHERE id > ?", [last_import]).fetchone()[0]
    else:                         # a pack built without the store's state: by the times
        newer = store.conn.execute("SELECT COUNT(*) FROM imports WHERE started_at > ?",
                                   [manifest["generated_at_utc"]]).fetchone()[0]
    if newer:
        out.append(f"the store has newer data ({newer} import(s) since the pack was made)")
    if manifest.get("config_sha256") != config.fingerprint:
        out.append("the configuration is not the one the pack was made with")
    rule_pack = manifest["rule_pack"]
    try:
        from callwatch.detect import rules
        current = rules.load_pack(config.jurisdiction)
        if (current.id, current.version) != (rule_pack.get("id"), rule_pack.get("version")) or \
                pack_mod.sha256_file(current.path) != rule_pack.get("sha256"):
            out.append(f"the rule pack is now {current.id} version {current.version}, the pack used "
                       f"{rule_pack.get('id')} version {rule_pack.get('version')} (or its file changed)")
    except CallwatchError as exc:
        out.append(f"the rule pack cannot be read: {exc}")
    recorded = inputs.get("software") if isinstance(inputs.get("software"), dict) else {}
    now = {"callwatch": __version__, **{lib: pack_mod.library_version(lib) for lib in pack_mod.RENDERING_LIBRARIES}}
    changed = [f"{name} {recorded.get(name)} then, {version} now" for name, version in now.items()
               if recorded.get(name) != version]
    if changed:
        out.append("the software differs (" + ", ".join(changed) + ")")
    return out
