"""The web page: Starlette routes over the library (readout, status, detect.review, the
importer, the evidence pack), rendered with Jinja2 on the server.

Every figure comes from the same library functions as the command line (callwatch.readout,
callwatch.status, callwatch.detect.review); the page decides nothing itself. Long work runs in a
child process (tasks.py); the page's process only reads and records review decisions.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from callwatch import __version__, lines as lines_mod, readout, status as status_mod, wording
from callwatch.errors import CallwatchError
from callwatch.private import private_dir, write_private
from callwatch.web import auth, svg, tasks
from callwatch.web.words import LANGS, UI

HERE = Path(__file__).parent
SESSION_COOKIE, CSRF_COOKIE, LANG_COOKIE = "callwatch_session", "callwatch_csrf", "callwatch_lang"
MAX_CALL_ROWS = 500                 # a finding's call table shows this many; filters narrow it
PACK_NAME = re.compile(r"callwatch-evidence-[A-Za-z0-9+._-]+\.zip")
templates = Jinja2Templates(directory=str(HERE / "templates"))


# -- helpers --------------------------------------------------------------------------------

def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in LANGS else request.app.state.config.report_language


@contextmanager
def reading(config):
    """A store connection reading one snapshot: figures of one page never mix two imports."""
    from callwatch.store import Store
    store = Store(config.data_dir)
    try:
        store.conn.execute("BEGIN")
        try:
            yield store
        finally:
            store.conn.execute("COMMIT")
    finally:
        store.close()


class Clock:
    """Times in the household's zone, the zone shown."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)

    def ms(self, ms: int | None, seconds: bool = False) -> str:
        if ms is None:
            return "-"
        t = readout.local(ms, self.tz)
        return t.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")

    def iso(self, text: str | None) -> str:
        """A stored UTC ISO 8601 text (2026-11-20T18:05:54Z or with fractions) in local time."""
        if not text:
            return "-"
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return t.astimezone(self.tz).strftime("%Y-%m-%d %H:%M %Z")


def render(request: Request, name: str, **context) -> Response:
    state = request.app.state
    lang = lang_of(request)
    context.update(request=request, lang=lang, t=UI[lang], csrf=request.state.csrf, version=__version__,
                   clock=Clock(state.config.timezone), tz=state.config.timezone, mode=state.mode,
                   logged_in=state.mode == "password" and state.sessions.valid(request.cookies.get(SESSION_COOKIE)),
                   word=lambda key: wording.word(lang, key),
                   tier=lambda name: wording.tier(name, lang), running=state.runner.running())
    task = request.query_params.get("task")
    context["task_status"] = state.runner.get(task) if task and task.isalnum() else None
    return templates.TemplateResponse(request, name, context)


async def checked_form(request: Request):
    """The request's form, once its CSRF token matches the browser's cookie (403 otherwise)."""
    limit = request.app.state.config.web.upload_max_mb * 2**20
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise HTTPException(411, "a request body needs its length")
    if int(length) > limit + 2**20:
        raise HTTPException(413, f"too large: the page accepts at most {request.app.state.config.web.upload_max_mb} MB "
                                 "at a time ([web] upload_max_mb)")
    form = await request.form(max_files=50, max_fields=50)
    token = form.get("csrf") or request.headers.get("x-csrf-token")
    if not auth.same_token(token if isinstance(token, str) else None, request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, "refused: this form has no valid CSRF token (reload the page and try again)")
    return form


def back(path: str, **query) -> RedirectResponse:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303)


def _int(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CallwatchError(f"{name}: {value!r} is not a number") from None


def _day(value, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CallwatchError(f"{name}: {value!r} is not a day like 2026-10-05") from None


# -- pages ----------------------------------------------------------------------------------

def overview(request: Request):
    config = request.app.state.config
    lang = lang_of(request)
    with reading(config) as store:
        scan = readout.latest_scan(store)
        findings = readout.stored_findings(store)
        per_day = readout.calls_per_day(store, config)
        st = status_mod.gather(store, config)
        from callwatch.detect import review
        pending = review.pending(store)
        newest_by_source = list(store.db.query(
            "SELECT i.format, COUNT(*) AS calls, MAX(c.start_ms) AS newest FROM calls c JOIN imports i "
            "ON i.id = c.import_id GROUP BY i.format ORDER BY newest DESC"))
    words = UI[lang]
    chart = svg.stacked_bars(
        per_day["days"], per_day["counts"], {b: wording.word(lang, b) for b in per_day["counts"]},
        title=words["per_day_title"].format(first=per_day["first"], last=per_day["last"]),
        unit=words["calls_unit"], prefix="pd")
    polls = [j for j in st.jobs if j.name.startswith("source:")]
    return render(request, "overview.html", scan=scan, findings=findings, chart=chart,
                  chart_title=words["per_day_title"].format(first=per_day["first"], last=per_day["last"]), per_day=per_day, st=st,
                  pending=pending, polls=polls, newest_by_source=newest_by_source, nav="overview")


def finding(request: Request):
    config = request.app.state.config
    lang = lang_of(request)
    finding_id = _int(request.path_params["finding_id"], "finding")
    q = request.query_params
    from callwatch.detect import rules as rules_mod
    with reading(config) as store:
        rows = list(store.db.query("SELECT * FROM findings WHERE id = ?", [finding_id]))
        if not rows:
            raise HTTPException(404, f"no finding {finding_id} in the latest scan")
        f = next(x for x in readout.stored_findings(store) if x["id"] == finding_id)
        scan = readout.latest_scan(store)
        numbers = list(store.db.query("SELECT * FROM finding_numbers WHERE finding_id = ? ORDER BY certainty, number",
                                      [finding_id]))
        calls = readout.finding_calls(store, finding_id)
        breaches = list(store.db.query(
            "SELECT b.rule_id, b.call_id, b.detail, b.facts, c.start_ms, c.number, c.presentation FROM breaches b "
            "JOIN calls c ON c.id = b.call_id WHERE b.finding_id = ? ORDER BY b.rule_id, c.start_ms", [finding_id]))
    pack = rules_mod.load_pack(scan["rule_pack"])
    rules = {r.id: r for r in pack.rules}
    tz = ZoneInfo(config.timezone)
    names = lines_mod.labels(config)
    words = UI[lang]
    counted = [c for c in calls if c["attribution"] in ("declared", "same-block", "confirmed")]
    band = {"declared": "counted", "same-block": "counted", "confirmed": "counted", "rotation": "leads",
            "probable": "leads", "excluded": "excluded"}
    timeline = readout.per_day_by(calls, tz, lambda c: band.get(c["attribution"], "leads"))
    company = (f["company"] or "").casefold()
    markers = [(o.date, f"{words['objection']} {o.date:%d/%m}") for o in config.objections
               if company and o.company.casefold() == company]
    timeline_svg = svg.stacked_bars(timeline["days"], {k: timeline["counts"].get(k, [0] * len(timeline["days"]))
                                                      for k in ("counted", "leads", "excluded")},
                                    {"counted": words["counted"], "leads": words["leads"],
                                     "excluded": words["excluded"]},
                                    title=words["timeline"], markers=markers, unit=words["calls_unit"], prefix="tl")
    windows = [r.params for r in pack.rules if r.kind == "allowed_window"]
    grid = readout.hour_weekday(counted, tz)
    heat_svg = svg.heat_map(grid, windows, wording.CHART_LABELS[lang]["days"], title=words["heat_title"])
    heat_tall_svg = svg.heat_map(grid, windows, wording.CHART_LABELS[lang]["days"], title=words["heat_title"], tall=True)
    holidays = readout.holidays_with_calls(counted, tz, pack.holidays, lang)
    by_rule: dict[str, list] = {}
    for b in breaches:
        facts = json.loads(b["facts"]) if b["facts"] else None
        by_rule.setdefault(b["rule_id"], []).append({**b, "text": wording.describe(facts, lang) if facts else b["detail"]})
    # One row per attribution (a declared prefix covers dozens of numbers): the numbers listed in it.
    groups: dict[tuple, list[str]] = {}
    for n in numbers:
        facts = json.loads(n["facts"]) if n["facts"] else None
        text = wording.describe(facts, lang) if facts else n["detail"]
        groups.setdefault((n["certainty"], n["basis"], text), []).append(n["number"])
    number_groups = [{"certainty": c, "basis": b, "text": text, "numbers": nums} for (c, b, text), nums in groups.items()]
    # The calls table and its filters (number, rule, outcome, line, tier, period).
    broken = {}
    for b in breaches:
        broken.setdefault(b["call_id"], []).append(b["rule_id"])
    number_q = re.sub(r"[^\d+]", "", q.get("number", ""))
    start, end = _day(q.get("from"), "from"), _day(q.get("to"), "to")
    shown = []
    for c in calls:
        local = readout.local(c["start_ms"], tz)
        if number_q and number_q.lstrip("+0") not in (c["number"] or "") and number_q not in (c["number_raw"] or ""):
            continue
        if q.get("rule") and q["rule"] not in broken.get(c["id"], []):
            continue
        if q.get("outcome") and c["outcome"] != q["outcome"]:
            continue
        if q.get("line") and c["line"] != q["line"]:
            continue
        if q.get("tier") and c["attribution"] != q["tier"]:
            continue
        if (start and local.date() < start) or (end and local.date() > end):
            continue
        shown.append({**c, "rules": broken.get(c["id"], []), "line_name": lines_mod.name(c["line"], names, lang)})
    choices = {"outcome": sorted({c["outcome"] for c in calls}), "tier": sorted({c["attribution"] for c in calls}),
               "line": sorted({c["line"] for c in calls if c["line"]}), "rule": sorted(by_rule)}
    return render(request, "finding.html", f=f, numbers=numbers, number_groups=number_groups, rules=rules, by_rule=by_rule, calls=shown[:MAX_CALL_ROWS],
                  total_shown=len(shown), total=len(calls), timeline_svg=timeline_svg, heat_svg=heat_svg, heat_tall_svg=heat_tall_svg,
                  holidays=holidays, choices=choices, q=q, names=names, pack=pack, nav="overview",
                  figure_labels=[(k, label) for k, label in wording.FIGURE_LABELS[lang] if k != "after_objection"
                                 or "after_objection" in f["stats"]],
                  line_name=lambda key: lines_mod.name(key, names, lang))


def review_page(request: Request):
    config = request.app.state.config
    from callwatch.detect import review
    lang = lang_of(request)
    with reading(config) as store:
        pending = review.pending(store)
        every = review.history(store)
        live = {d.id for d in review.effective(store)}
        findings = readout.stored_findings(store)
        for item in pending:             # a call's own time, in the household's zone, and its signals worded
            if item.get("call_id") is not None:
                row = store.conn.execute("SELECT start_ms FROM calls WHERE id = ?", [item["call_id"]]).fetchone()
                signals = re.search(r"\(([a-z,]+)\)", item["why"])
                item["start_ms"] = row[0] if row else None
                item["signals"] = [wording.word(lang, x) for x in signals.group(1).split(",")] if signals else []
    return render(request, "review.html", pending=pending, history=list(reversed(every)), live=live,
                  decision_text=lambda d: decision_text(d, lang),
                  findings=findings, task=request.query_params.get("task"),
                  recorded=next((d for d in every if str(d.id) == request.query_params.get("recorded")), None),
                  error=request.query_params.get("error"), nav="review")


def decision_text(d, lang: str) -> str:
    """A decision in the page's language: what it is about, then the pack's own wording of it."""
    fr = lang == "fr"
    if d.action == "undo":
        return f"annulation de la décision n° {d.undoes}" if fr else f"undo of decision #{d.undoes}"
    what = (f"{'numéro' if fr else 'number'} {d.number}" if d.number else
            f"{'appel n°' if fr else 'call #'}{d.call_id}" if d.call_id is not None else
            f"{'campagne' if fr else 'campaign'} {d.finding_key}" + (f" ({d.company})" if d.company else ""))
    if d.from_utc:
        what += f" ({d.from_utc[:10]} – {d.to_utc[:10]})"
    facts = [["user_decision", {"action": d.action, "date": d.date, "reason": d.reason, "id": d.id}]]
    return f"{what}: {wording.describe(facts, lang)}"


async def review_action(request: Request):
    config = request.app.state.config
    action = request.path_params["action"]
    form = await checked_form(request)
    from callwatch.detect import review
    from callwatch.store import Store

    def decide():
        with Store(config.data_dir) as store:
            if action == "confirm":
                return review.confirm(store, config, number=form.get("number") or None,
                                      call_id=_int(form.get("call_id"), "call"),
                                      finding_id=_int(form.get("finding_id"), "finding"),
                                      company=form.get("company") or None, reason=form.get("reason") or "")
            if action == "exclude":
                return review.exclude(store, config, number=form.get("number") or None,
                                      call_id=_int(form.get("call_id"), "call"), reason=form.get("reason") or "",
                                      start=_day(form.get("from"), "from"), end=_day(form.get("to"), "to"))
            if action == "undo":
                return review.undo(store, _int(form.get("decision_id"), "decision"))
            raise HTTPException(404, "no such action")
    try:
        decision = await run_in_threadpool(decide)
    except CallwatchError as exc:
        return back("/review", error=str(exc))
    # The decision is recorded; the rescan that applies it runs as a task (as `callwatch confirm` rescans).
    try:
        task = request.app.state.runner.start("scan")
    except CallwatchError:
        task = None                 # a task is running: the next scan (the daemon's, or the next decision) applies it
    return back("/review", task=task, recorded=decision.id)


def imports_page(request: Request):
    config = request.app.state.config
    rejects_of = _int(request.query_params.get("rejects"), "import")
    with reading(config) as store:
        rows = list(reversed(store.imports()))
        rejects = store.rejects(rejects_of) if rejects_of is not None else []
        total_rejects = store.conn.execute("SELECT COUNT(*) FROM rejects").fetchone()[0]
        containers = {r["id"]: r for r in store.db.query("SELECT id, original_name, sha256 FROM containers")}
    return render(request, "imports.html", imports=rows, rejects=rejects, rejects_of=rejects_of,
                  total_rejects=total_rejects, containers=containers, task=request.query_params.get("task"),
                  error=request.query_params.get("error"), max_mb=config.web.upload_max_mb, nav="imports")


def _safe_name(name: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip().lstrip(".")
    base = re.sub(r"[\x00-\x1f/]", "_", base)[:200]
    return base or "upload"


async def _save_uploads(request: Request, form, field: str) -> list[Path]:
    """Each uploaded file, copied private (0600) into its own folder under <data dir>/uploads/,
    under its own name (the import records that name, as it does for a file given to the CLI)."""
    config = request.app.state.config
    limit = config.web.upload_max_mb * 2**20
    saved = []
    for upload in form.getlist(field):
        if not hasattr(upload, "read") or not upload.filename:
            continue
        folder = private_dir(tasks.uploads_dir(config.data_dir) / f"{time.time_ns()}")
        target = folder / _safe_name(upload.filename)
        size = 0
        write_private(target, b"")
        with open(target, "ab") as out:
            while chunk := await upload.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    out.close()
                    import shutil
                    shutil.rmtree(folder, ignore_errors=True)
                    raise HTTPException(413, f"{upload.filename}: larger than {config.web.upload_max_mb} MB "
                                             "([web] upload_max_mb); import it with `callwatch import` instead")
                out.write(chunk)
        saved.append(target)
    return saved


async def upload(request: Request):
    form = await checked_form(request)
    files = await _save_uploads(request, form, "files")
    if not files:
        return back("/imports", error="choose at least one file")
    try:
        task = request.app.state.runner.start("import", files=[str(p) for p in files])
    except CallwatchError as exc:
        for p in files:
            import shutil
            shutil.rmtree(p.parent, ignore_errors=True)
        return back("/imports", error=str(exc))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"task": task})
    return back("/imports", task=task)


def _stored_packs(config) -> dict[str, list[dict]]:
    known = tasks.verifications(config.data_dir)
    out = {}
    for kind in ("packs", "snapshots"):
        folder = Path(config.data_dir) / kind
        items = []
        for p in sorted(folder.glob("*.zip"), key=lambda p: p.stat().st_mtime, reverse=True) if folder.exists() else []:
            st = p.stat()
            v = known.get(f"{kind}/{p.name}")
            if v and (v["size"], v["mtime_ns"]) != (st.st_size, st.st_mtime_ns):
                v = {**v, "stale": True}
            items.append({"kind": kind, "name": p.name, "size": st.st_size, "mtime_ms": int(st.st_mtime * 1000),
                          "verified": v})
        out[kind] = items
    return out


def evidence_page(request: Request):
    config = request.app.state.config
    with reading(config) as store:
        findings = readout.stored_findings(store)
    task_id = request.query_params.get("task")
    return render(request, "evidence.html", findings=findings, stored=_stored_packs(config), task=task_id,
                  error=request.query_params.get("error"), nav="evidence")


async def make_pack(request: Request):
    form = await checked_form(request)
    try:
        lang = form.get("lang") if form.get("lang") in LANGS else None
        start, end = _day(form.get("from"), "from"), _day(form.get("to"), "to")
        task = request.app.state.runner.start("pack", finding_id=_int(form.get("finding_id"), "finding"), lang=lang,
                                              start=start.isoformat() if start else None,
                                              end=end.isoformat() if end else None)
    except CallwatchError as exc:
        return back("/evidence", error=str(exc))
    return back("/evidence", task=task)


async def verify_upload(request: Request):
    form = await checked_form(request)
    files = await _save_uploads(request, form, "pack")
    if not files:
        return back("/evidence", error="choose the pack's zip")
    try:
        task = request.app.state.runner.start("verify", path=str(files[0]), uploaded=True)
    except CallwatchError as exc:
        return back("/evidence", error=str(exc))
    return back("/evidence", task=task)


def _pack_path(request: Request) -> Path:
    kind, name = request.path_params["kind"], request.path_params["name"]
    if kind not in ("packs", "snapshots") or not PACK_NAME.fullmatch(name):
        raise HTTPException(404, "no such pack")
    path = Path(request.app.state.config.data_dir) / kind / name
    if not path.is_file() or path.is_symlink():
        raise HTTPException(404, "no such pack")
    return path


async def verify_stored(request: Request):
    await checked_form(request)
    path = _pack_path(request)
    try:
        task = request.app.state.runner.start("verify", path=str(path))
    except CallwatchError as exc:
        return back("/evidence", error=str(exc))
    return back("/evidence", task=task)


def download(request: Request):
    path = _pack_path(request)
    return FileResponse(path, media_type="application/zip", filename=path.name)


def redact_config(text: str) -> str:
    """The configuration as read, secrets hidden: a URL's password, and every alert URL past its
    scheme (an apprise URL carries tokens: ntfy topics, Gotify keys, mail passwords)."""
    def url(m):
        scheme, rest = m.group(1), m.group(2)
        if scheme.lower() in ("http", "https"):
            return scheme + "://" + re.sub(r"^[^/@\s]*:[^/@\s]*@", "(hidden)@", rest)
        return scheme + "://(hidden)"
    return re.sub(r"([A-Za-z][A-Za-z0-9+.-]*)://([^\"'\s,\]]+)", url, text)


def status_page(request: Request):
    config = request.app.state.config
    with reading(config) as store:
        st = status_mod.gather(store, config)
    text = config.raw.decode("utf-8", "replace") if config.raw else ""
    return render(request, "status.html", st=st, config_text=redact_config(text), bind=request.app.state.bind,
                  header=config.web.trusted_proxy_header, nav="status")


def task_status(request: Request):
    status = request.app.state.runner.get(request.path_params["task_id"])
    if status is None:
        raise HTTPException(404, "no such task")
    return JSONResponse(status)


def task_fragment(request: Request):
    status = request.app.state.runner.get(request.path_params["task_id"])
    if status is None:
        raise HTTPException(404, "no such task")
    return render(request, "_task.html", task=status)


def set_lang(request: Request):
    lang = request.path_params["lang"]
    if lang not in LANGS:
        raise HTTPException(404, "no such language")
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


def login_page(request: Request):
    return render(request, "login.html", login_error=request.query_params.get("error"),
                  next=request.query_params.get("next", "/"))


async def login(request: Request):
    state = request.app.state
    form = await checked_form(request)
    client = request.client.host if request.client else "?"
    wait = state.limiter.retry_after(client)
    lang = lang_of(request)
    if wait:
        return Response(UI[lang]["login_limited"].format(s=wait), status_code=429, headers={"Retry-After": str(wait)},
                        media_type="text/plain; charset=utf-8")
    stored = auth.stored_password(state.config.data_dir)
    ok = bool(stored) and await run_in_threadpool(auth.check_password, form.get("password") or "", stored)
    target = form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if not ok:
        state.limiter.failed(client)
        return back("/login", error="1", next=target)
    state.limiter.succeeded(client)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, state.sessions.open(), max_age=auth.SESSION_S, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


async def logout(request: Request):
    await checked_form(request)
    request.app.state.sessions.close(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- access ---------------------------------------------------------------------------------

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


class Gate(BaseHTTPMiddleware):
    """Admits a request or not (see auth.py), sets the CSRF cookie, and the security headers."""

    async def dispatch(self, request: Request, call_next):
        state = request.app.state
        path = request.url.path
        cookie = request.cookies.get(CSRF_COOKIE)
        request.state.csrf = cookie or auth.new_token()
        if state.mode == "loopback":
            # A page on 127.0.0.1 answers only to its own names: another site's name that resolves
            # to 127.0.0.1 (DNS rebinding) must not reach it from the user's browser.
            host = (request.headers.get("host") or "").rsplit(":", 1)[0] if not (request.headers.get("host") or "").startswith("[") \
                else (request.headers.get("host") or "").split("]")[0] + "]"
            if host not in LOOPBACK_NAMES | {state.host}:
                return PlainTextResponse(f"refused: this page answers to 127.0.0.1 or localhost, not {host!r}", 400)
        elif state.mode == "proxy":
            if not request.headers.get(state.config.web.trusted_proxy_header):
                return PlainTextResponse("refused: not authenticated by the reverse proxy", 401)
        elif state.mode == "password" and path != "/login" and not path.startswith(("/static/", "/lang/")):
            if not state.sessions.valid(request.cookies.get(SESSION_COOKIE)):
                wants_page = request.method in ("GET", "HEAD") and "application/json" not in request.headers.get("accept", "")
                if wants_page:
                    return RedirectResponse("/login?" + urlencode({"next": path}), status_code=303)
                return PlainTextResponse("login required", 401)
        try:
            response = await call_next(request)
        except CallwatchError as exc:
            response = PlainTextResponse(str(exc), 400)
        if not cookie:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                                secure=request.url.scheme == "https", path="/")
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


async def http_error(request: Request, exc: HTTPException):
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)


async def library_error(request: Request, exc: CallwatchError):
    return PlainTextResponse(str(exc), status_code=400)


def create_app(config, bind: str | None = None) -> Starlette:
    """The page for this configuration; ``bind`` (HOST:PORT) decides how users are admitted."""
    from callwatch.config import parse_bind
    bind = bind or config.web.bind
    host, port = parse_bind(bind)
    mode = auth.check_can_serve(config, host, port)
    routes = [
        Route("/", overview), Route("/finding/{finding_id}", finding), Route("/review", review_page),
        Route("/review/{action}", review_action, methods=["POST"]), Route("/imports", imports_page),
        Route("/imports/upload", upload, methods=["POST"]), Route("/evidence", evidence_page),
        Route("/evidence/make", make_pack, methods=["POST"]), Route("/evidence/verify", verify_upload, methods=["POST"]),
        Route("/evidence/check/{kind}/{name}", verify_stored, methods=["POST"]),
        Route("/evidence/download/{kind}/{name}", download), Route("/status", status_page),
        Route("/tasks/{task_id}", task_status), Route("/tasks/{task_id}/view", task_fragment),
        Route("/lang/{lang}", set_lang), Route("/login", login_page), Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Gate)],
                    exception_handlers={HTTPException: http_error, CallwatchError: library_error})
    app.state.config = config
    app.state.bind, app.state.host, app.state.mode = bind, host, mode
    app.state.runner = tasks.Runner(config)
    app.state.sessions = auth.Sessions()
    app.state.limiter = auth.LoginLimiter()
    return app

