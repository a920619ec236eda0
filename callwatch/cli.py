"""The command line: a thin edge over the library. Library errors become messages here."""

from __future__ import annotations

import functools
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from callwatch import __version__, config as config_mod, importers
from callwatch.errors import CallwatchError, storage_fault
from callwatch.evidence.verify import EXIT_HELP as VERIFY_EXIT_HELP
from callwatch.shown import install_log_filter, shown

if TYPE_CHECKING:
    from callwatch.store import Store

# The store and importer modules load sqlite-utils, which loads pandas: imported where used, so
# that `callwatch daemon` (a long-lived process) does not carry them.

# Markup off by default: data (file names, reasons, numbers, signals like "[silent]") is printed
# as it is. The few styled lines say markup=True and escape() what they interpolate.
console = Console(markup=False)
err = Console(stderr=True, markup=False)


# A row id as SQLite stores it: beyond, sqlite3 raises OverflowError instead of finding nothing.
ID = click.IntRange(1, 2**63 - 1)


def handle_errors(fn):
    """A library error, or a machine fault (a full disk, a read-only folder, a damaged store), ends
    in one sentence on stderr and exit status 2; never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CallwatchError as exc:
            message = str(exc)
        except Exception as exc:          # an OSError or sqlite3.Error (not imported here: the daemon goes through here)
            env = args[0] if args and isinstance(args[0], Env) else None
            where = env.config.data_dir / "callwatch.db" if env is not None and env.loaded else Path(".")
            fault = storage_fault(where, exc)
            if fault is None:
                raise
            message = str(fault)
        err.print(f"[bold red]error:[/] {escape(shown(message))}", highlight=False, markup=True)
        sys.exit(2)
    return wrapper


class Env:
    def __init__(self, config_path, data_dir):
        self.config_path, self.data_dir_opt = config_path, data_dir
        self._config = None
        self.pool_dir = None             # `callwatch pool --pool DIR`

    @property
    def config(self):
        if self._config is None:
            self._config = config_mod.load(self.config_path, self.data_dir_opt)
        return self._config

    @property
    def loaded(self) -> bool:
        return self._config is not None

    def store(self) -> Store:
        from callwatch.store import Store
        return Store(self.config.data_dir)


@click.group()
@click.version_option(__version__, prog_name="callwatch")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar=None,
              help="Configuration file (default: $CALLWATCH_CONFIG, then ~/.config/callwatch/callwatch.toml).")
@click.option("--data-dir", type=click.Path(file_okay=False),
              help="Data directory holding the store and the archive (overrides the config).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.pass_context
def cli(ctx, config_path, data_dir, verbose):
    """callwatch: turn call-log exports into a dated evidence file."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    install_log_filter()                 # one line per record, no URL's password
    ctx.obj = Env(config_path, data_dir)


def _progress_bar():
    return Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


def run_import(env: Env, paths, fmt=None, *, quiet=False):
    """Import paths into env's store; print a table; return the results."""
    from callwatch.ingest import Importer, expand
    store = env.store()
    results = []
    try:
        with _progress_bar() as bar:
            task = bar.add_task("import", total=None)

            def progress(name, done, total):
                bar.update(task, description=name[:40], completed=done, total=total)

            importer = Importer(store, env.config, progress)
            for path in expand(paths):
                bar.update(task, description=path.name[:40], completed=0, total=None)
                results.append(importer.import_file(path, fmt))
    finally:
        store.close()
    if not quiet:
        _print_results(results)
    return results


def _print_results(results):
    table = Table(title="Import", title_justify="left")
    table.add_column("file", overflow="fold", ratio=3)
    table.add_column("format", overflow="fold", ratio=2)
    for col in ("read", "new", "dup", "merged", "rej"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("result", no_wrap=True)
    def row(r, name):
        status = {"imported": f"#{r.import_id}", "already": "already imported", "skipped": "skipped",
                  "failed": Text("FAILED", style="red"),             # the console reads no markup
                  "changed": Text("CHANGED", style="red")}[r.status]
        if r.members:
            status = f"zip of {len(r.members)}" if r.status == "imported" else status
        table.add_row(shown(name), r.format or "-", str(r.read), str(r.new), str(r.duplicate),
                      str(r.merged), str(r.rejected), status)

    for r in results:
        row(r, str(r.path.name))
        for m in r.members:          # skipped files of an archive (other products' files) are summed up below
            if m.status != "skipped":
                row(m, f"  {m.path.relative_to(r.path)}")
    console.print(table)
    for r in results:
        for m in r.members:
            if m.status == "failed":
                err.print(shown(f"{r.path}: {m.path.relative_to(r.path)}: {m.message}"), highlight=False)
        skipped = {}
        for m in r.members:
            if m.status == "skipped":
                skipped[m.message] = skipped.get(m.message, 0) + 1
        for reason, n in sorted(skipped.items(), key=lambda kv: -kv[1]):
            console.print(shown(f"{r.path.name}: {n} file(s) inside: {reason}"), highlight=False)
        if r.members and r.status == "imported":
            console.print(shown(f"{r.path.name}: {r.message}"), highlight=False)
            if r.rejected:
                console.print(shown(f"{r.path.name}: {r.rejected} record(s) rejected; see callwatch rejects"),
                              highlight=False)
            continue
        if r.status in ("failed", "changed"):
            tried = f"\n  formats tried: {', '.join(r.tried)}" if r.tried else ""
            err.print(f"[red]{escape(shown(r.path))}[/]: {escape(shown(r.message) + tried)}", highlight=False, markup=True)
        elif r.status in ("already", "skipped"):
            console.print(f"{shown(r.path.name)}: {shown(r.message)}", highlight=False)
        elif r.rejected:
            console.print(escape(f"{shown(r.path.name)}: {r.rejected} record(s) rejected; see ") +
                          f"[bold]callwatch rejects --import {r.import_id}[/]", highlight=False, markup=True)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", help="Skip recognition and read every file as this format (see `callwatch formats`).")
@click.option("--json", "as_json", is_flag=True, help="Print the per-file summary as JSON.")
@click.pass_obj
@handle_errors
def import_cmd(env, paths, fmt, as_json):
    """Import call-log exports (files or folders, recursively)."""
    results = run_import(env, paths, fmt, quiet=as_json)
    if as_json:
        def as_dict(r):
            return {**{k: v for k, v in r.__dict__.items() if k not in ("path", "members")}, "path": str(r.path),
                    "members": [as_dict(m) for m in r.members]}
        click.echo(json.dumps([as_dict(r) for r in results], indent=2, default=str))
    if any(r.status in ("failed", "changed") for r in results):
        sys.exit(1)


@cli.command("imports")
@click.option("--json", "as_json", is_flag=True, help="Print the imports as JSON.")
@click.pass_obj
@handle_errors
def imports_cmd(env, as_json):
    """List imported files: SHA-256, size, format, counts, archived copy."""
    store = env.store()
    try:
        rows = store.imports()
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        console.print(f"No imports yet in {env.config.data_dir}.")
        return
    for r in rows:
        console.print(f"[bold]#{r['id']}[/] " + escape(f"{shown(r['original_name'])}  ({r['format']}, {r['size']:,} bytes, "
                                                       f"imported {r['started_at']})"), highlight=False, markup=True)
        console.print(f"    read {r['read']}, new {r['new']}, duplicate {r['duplicate']}, merged {r['merged']}, "
                      f"rejected {r['rejected']}", highlight=False)
        console.print(f"    sha256  {r['sha256']}", highlight=False, soft_wrap=True)
        console.print(f"    archive {env.config.data_dir / r['archive_path']}", highlight=False, soft_wrap=True)


@cli.command("rejects")
@click.option("--import", "import_id", type=ID, help="Only the rejects of this import.")
@click.option("--json", "as_json", is_flag=True, help="Print the rejects as JSON.")
@click.pass_obj
@handle_errors
def rejects_cmd(env, import_id, as_json):
    """List rejected records: file, locator, reason."""
    store = env.store()
    try:
        rows = store.rejects(import_id)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No rejected records.")
        return
    for r in rows:
        console.print(f"[bold]{escape(shown(r['file']))}[/] " + escape(shown(f"(import #{r['import_id']}), {r['locator']}: {r['reason']}")),
                      highlight=False, soft_wrap=True, markup=True)
        if r["raw"]:        # the record as it stands in the archived file (--json: all of what is kept)
            raw = r["raw"] if len(r["raw"]) <= 1000 else r["raw"][:1000] + f"... ({len(r['raw']) - 1000} more characters)"
            # each line escaped on its own: the record keeps its lines, none can forge or hide output
            console.print("\n".join("    " + shown(line) for line in raw.splitlines()), highlight=False, markup=False,
                          soft_wrap=True)
    console.print(f"{len(rows)} rejected record(s).")


def run_scan(env, *, quiet=False, full=False):
    from callwatch.detect import scan
    store = env.store()
    try:
        result = scan(store, env.config, full=full)
    finally:
        store.close()
    if not quiet:
        print_findings(result, env.config)
    return result


def print_findings(result, config):
    what = (f"{result.calls_considered} calls read" if result.mode == "full" else
            f"incremental: {result.changed} finding(s) re-evaluated on {result.calls_considered} calls")
    if result.mode == "full" and result.full_because and result.full_because != "asked for":
        what += f"; a full scan because {result.full_because}"
    console.print(f"Scan #{result.scan_id} ({what}), rule pack {result.pack.id} "
                  f"({result.pack.name}, version {result.pack.version}); times in {config.timezone}.",
                  highlight=False)
    if not result.findings:
        console.print("No campaign or repeated nuisance found.")
        return
    table = Table(title="Findings", title_justify="left", show_lines=True)
    table.add_column("id", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("who", overflow="fold", ratio=1)
    table.add_column("counted", justify="right", no_wrap=True)
    table.add_column("leads", justify="right", no_wrap=True)
    table.add_column("why", overflow="fold", ratio=3)
    colour = {"high": "bold red", "medium": "yellow", "low": "white"}
    for f in result.findings:
        table.add_row(str(f["id"]), Text(f["severity"], style=colour[f["severity"]]), f["label"], str(f["stats"]["calls"]),
                      str(f["stats"].get("leads", {}).get("calls", 0)), f["why"])
    console.print(table)
    console.print("Counted: calls from numbers you declared, their blocks, or that you confirmed; only they "
                  "count toward the rules. Leads rest on behaviour or a pattern: see `callwatch review`.",
                  highlight=False)
    console.print("The calls behind a finding: [bold]callwatch calls --finding ID[/]", highlight=False, markup=True)


def findings_json(store, result, config) -> dict:
    """The `scan --json` document (a contract: tests and other tools read it); the web page reads
    the same through callwatch.readout."""
    from callwatch import readout
    return readout.findings_document(store, config)


@cli.command("scan")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--full", is_flag=True, help="Re-evaluate every call, not only what changed since the last scan.")
@click.pass_obj
@handle_errors
def scan_cmd(env, as_json, full):
    """Find campaigns and repeated nuisance calls, and the rules each call breaks."""
    result = run_scan(env, quiet=as_json, full=full)
    if as_json:
        store = env.store()
        try:
            click.echo(json.dumps(findings_json(store, result, env.config), indent=2, ensure_ascii=False))
        finally:
            store.close()


def _number_key(env, number: str) -> str:
    """The stored key of a number given on the command line, or one sentence saying why it is none."""
    from callwatch.numbers import Normaliser
    facts = Normaliser(env.config.region).normalise(number)
    if facts.key is None:
        if facts.presentation != "allowed":
            raise CallwatchError(f"--number {number!r} stands for a withheld number, not a number: withheld calls "
                                 f"are in their own finding (see `callwatch scan`)")
        raise CallwatchError(f"--number {number!r} is not a telephone number (give it as dialled, e.g. "
                             f"01 62 34 50 12 or +33162345012)")
    return facts.key


@cli.command("calls")
@click.option("--campaign", "--finding", "finding_id", type=ID, help="The calls of this finding (see `callwatch scan`).")
@click.option("--number", help="The calls from or to this number (any notation).")
@click.option("--json", "as_json", is_flag=True, help="Print the calls as JSON.")
@click.pass_obj
@handle_errors
def calls_cmd(env, finding_id, number, as_json):
    """List calls: local time with zone, UTC, line, number, outcome, talk time, tier, signals, rules broken."""
    from callwatch import lines, readout
    if (finding_id is None) == (number is None):
        raise CallwatchError("give one of --finding ID or --number N")
    key = _number_key(env, number) if number is not None else None
    store = env.store()
    try:
        if finding_id is not None:
            rows = readout.finding_calls(store, finding_id)
            if not rows:
                raise CallwatchError(f"no finding {finding_id} in the latest scan (run `callwatch scan`)")
        else:
            rows = readout.number_calls(store, key)
    finally:
        store.close()
    from zoneinfo import ZoneInfo
    from datetime import datetime, timezone
    tz = ZoneInfo(env.config.timezone)
    names = lines.labels(env.config)
    if as_json:
        doc = []
        for r in rows:
            local = datetime.fromtimestamp(r["start_ms"] / 1000, timezone.utc).astimezone(tz)
            doc.append({"id": r["id"], "local": local.isoformat(), "utc": r["start_utc"], "direction": r["direction"],
                        "number": r["number"], "number_raw": r["number_raw"], "presentation": r["presentation"],
                        "outcome": r["outcome"], "duration_s": r["duration_s"],
                        "duration_precision_s": r["duration_precision_s"], "own_line": r["own_line"],
                        "line": r["line"], "line_label": lines.name(r["line"], names), "line_basis": r["line_basis"],
                        "attribution": r["attribution"], "decision_id": r["decision_id"],
                        "signals": [s for s in (r["signals"] or "").split(",") if s],
                        "breaches": [b for b in (r["broken"] or "").splitlines()],
                        "source": r["source"], "locator": r["locator"]})
        click.echo(json.dumps({"timezone": env.config.timezone, "calls": doc}, indent=2, ensure_ascii=False))
        return
    for r in rows:
        local = datetime.fromtimestamp(r["start_ms"] / 1000, timezone.utc).astimezone(tz)
        talk = "-" if r["duration_s"] is None else (
            f"{r['duration_s']} s" if r["duration_precision_s"] == 1 else f"{r['duration_s']} s (±{r['duration_precision_s']} s)")
        who = r["number"] or f"({r['presentation']})"
        line = (f"{local:%Y-%m-%d %H:%M:%S %Z}  {r['start_utc']}  {r['direction']:3} {who:16} {r['outcome']:9} "
                f"talk {talk}")
        if r["attribution"]:
            line += f"  <{r['attribution']}>"
        if r["signals"]:
            line += f"  [{r['signals']}]"
        console.print(line, highlight=False)
        console.print(f"    line: {lines.name(r['line'], names)}; source: {shown(r['source'])}, {shown(r['locator'])}",
                      highlight=False, style="dim")
        for broken in (r["broken"] or "").splitlines():
            console.print(f"    breaks {broken}", highlight=False)
    console.print(f"{len(rows)} call(s); times in {env.config.timezone} and UTC. Tiers: declared, same-block and "
                  "confirmed calls count; rotation and probable are leads; excluded calls count in nothing.",
                  highlight=False)


# -- review: what detection cannot settle, decided by the user ---------------------------------

def _decide(env, action: str, **kw):
    """One review decision through the library (the web page calls the same functions), then a scan."""
    from callwatch.detect import review
    store = env.store()
    try:
        if action == "undo":
            decision = review.undo(store, kw["decision_id"])
        else:
            decision = getattr(review, action)(store, env.config, **kw)
    finally:
        store.close()
    _after_decision(env, decision)


def _after_decision(env, decision):
    console.print(f"Recorded: {decision.describe()}", highlight=False, soft_wrap=True)
    result = run_scan(env, quiet=True)
    for f in result.findings[:5]:
        console.print(f"  finding {f['id']} {f['label']}: {f['stats']['calls']} counted, "
                      f"{f['stats'].get('leads', {}).get('calls', 0)} leads, "
                      f"{f['stats'].get('excluded', {}).get('calls', 0)} excluded", highlight=False)


@cli.command("review")
@click.option("--history", is_flag=True, help="Every decision ever taken (with undone ones), not what awaits you.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_obj
@handle_errors
def review_cmd(env, history, as_json):
    """What awaits your decision: probable links, withheld calls in a campaign's waves, repeated
    callers and rotating blocks nobody said were canvassing, people you know inside a declared block."""
    from callwatch.detect import review
    store = env.store()
    try:
        if history:
            every = review.history(store)
            live = {d.id for d in review.effective(store)}
            if as_json:
                click.echo(json.dumps([{**d.__dict__, "in_force": d.id in live} for d in every], indent=2,
                                      ensure_ascii=False))
                return
            for d in every:
                console.print(d.describe() + ("" if d.id in live or d.action == "undo" else "  (undone)"),
                              highlight=False, soft_wrap=True)
            console.print(f"{len(every)} decision(s).", highlight=False)
            return
        items = review.pending(store, env.config.timezone)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    advice = {"probable-link": "callwatch confirm {number} | callwatch exclude {number} --reason \"...\"",
              "unknown-campaign": "callwatch confirm --campaign {finding_id} [--company NAME] | "
                                  "callwatch exclude {number} --reason \"...\"",
              "repeated-caller": "callwatch confirm --campaign {finding_id} [--company NAME] | "
                                 "callwatch exclude {number} --reason \"...\"",
              "withheld-call": "callwatch confirm --call {call_id} | callwatch exclude --call {call_id} --reason \"...\"",
              "contact-in-block": "callwatch confirm {number} | callwatch exclude {number} --reason \"a person I know\""}
    for item in items:
        who = item["number"] or f"call {item.get('call_id')}"
        console.print(f"[{item['kind']}] {who} in finding {item['finding_id']} ({item['finding']}): {item['why']}",
                      highlight=False, soft_wrap=True)
        console.print("    " + advice[item["kind"]].format(**{"number": item["number"], **item}), highlight=False,
                      soft_wrap=True, style="dim")
    console.print(f"{len(items)} item(s) await your decision. Nothing here counts toward the rules until you "
                  "confirm it; `callwatch review --history` lists your decisions.", highlight=False)


@cli.command("confirm")
@click.argument("number", required=False)
@click.option("--call", "call_id", type=ID, help="Confirm one call (e.g. a withheld call) instead of a number.")
@click.option("--campaign", "--finding", "finding_id", type=ID,
              help="The campaign it belongs to (default: the operator's). Alone: confirm the whole campaign "
                   "as one caller's canvassing.")
@click.option("--company", help="With --campaign alone: the company behind it.")
@click.option("--reason", default="", help="Why (printed in the pack), e.g. \"the agent named the company\".")
@click.pass_obj
@handle_errors
def confirm_cmd(env, number, call_id, finding_id, company, reason):
    """Confirm that a number, a call or a campaign is the caller's: its calls count toward the rules."""
    _decide(env, "confirm", number=number, call_id=call_id, finding_id=finding_id, company=company, reason=reason)


@cli.command("exclude")
@click.argument("number", required=False)
@click.option("--call", "call_id", type=ID, help="Exclude one call instead of a number.")
@click.option("--reason", required=True, help="Why (printed in the pack), e.g. \"service call: technician\".")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="Only the number's calls from this day (local).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Only the number's calls to this day (local).")
@click.pass_obj
@handle_errors
def exclude_cmd(env, number, call_id, reason, start, end):
    """Exclude a number (or only its calls between two dates) or a call: it counts in nothing."""
    _decide(env, "exclude", number=number, call_id=call_id, reason=reason,
            start=start.date() if start else None, end=end.date() if end else None)


@cli.command("undo")
@click.argument("decision_id", type=ID, required=False)
@click.pass_obj
@handle_errors
def undo_cmd(env, decision_id):
    """Cancel a decision (default: the latest in force). Both stay on record."""
    _decide(env, "undo", decision_id=decision_id)


@cli.command("report")
@click.option("--campaign", "--finding", "finding_id", type=ID, help="The finding to report (default: the most severe).")
@click.option("--number", help="Report the finding that involves this number.")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (local), YYYY-MM-DD.")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (local), YYYY-MM-DD.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default=None,
              help="Language of the pack (default: French for the French rules, English otherwise).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Folder in which the pack folder and zip are written.")
@click.option("--at", "at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]),
              help="Generation time to state (default: now). Same store + subject + time = same files.")
@click.pass_obj
@handle_errors
def report_cmd(env, finding_id, number, start, end, lang, out_dir, at):
    """Write the dated evidence pack (PDF/A, CSV, JSON, letters, manifest, zip)."""
    if start and end and start > end:
        raise CallwatchError(f"--from {start:%Y-%m-%d} is after --to {end:%Y-%m-%d}: the period would hold no day")
    if number is not None:
        _number_key(env, number)
    run_report(env, finding_id=finding_id, number=number, start=start.date() if start else None,
               end=end.date() if end else None, lang=lang, out_dir=Path(out_dir), at=at)


def run_report(env, *, finding_id=None, number=None, start=None, end=None, lang=None, out_dir=Path("."), at=None):
    from callwatch.evidence import pack as evidence_pack
    if at is not None and at.tzinfo is None:
        from zoneinfo import ZoneInfo
        at = at.replace(tzinfo=ZoneInfo(env.config.timezone))
    store = env.store()
    try:
        with err.status("building the evidence pack..."):
            result = evidence_pack.make(store, env.config, out_dir, finding_id=finding_id, number=number,
                                        start=start, end=end, lang=lang, at=at)
    finally:
        store.close()
    # soft_wrap: hashes and paths must stay on one line, whole, to be copied
    console.print(f"Evidence pack: [bold]{escape(str(result.folder))}[/]", highlight=False, soft_wrap=True, markup=True)
    console.print(f"          zip: {result.zip_path}", highlight=False, soft_wrap=True)
    console.print(f"  fingerprint: {result.fingerprint} (SHA-256 of manifest.json)", highlight=False, soft_wrap=True)
    console.print(f"         root: {result.root} (SHA-256 of SHA256SUMS"
                  + (", time-stamped: SHA256SUMS.tsr)" if result.timestamped else ", not time-stamped)"),
                  highlight=False, soft_wrap=True)
    console.print(f"Check it with: callwatch verify {result.zip_path}", highlight=False, soft_wrap=True)
    return result


@cli.command("verify", epilog=VERIFY_EXIT_HELP)
@click.argument("pack", type=click.Path(exists=True))
@click.option("--no-store", is_flag=True, help="Do not check the archived source exports in the data directory.")
@click.option("--store", "rebuild", is_flag=True,
              help="Also make the pack again from the store (same finding, period, --at, language) and compare "
                   "every file byte for byte.")
@click.option("--tsa-ca", type=click.Path(exists=True, dir_okay=False),
              help="CA certificate(s) of the time-stamping authority (default: [timestamp] ca_file).")
@click.pass_obj
@handle_errors
def verify_cmd(env, pack, no_store, rebuild, tsa_ca):
    """Check an evidence pack (folder or zip) and say what it proves, one line per level: files,
    time-stamp, its signature, its authority, and with --store the rebuild."""
    from callwatch.evidence.verify import verify
    from callwatch import identity
    if no_store and rebuild:
        raise click.UsageError("--store and --no-store contradict each other")
    store = None
    if not no_store:
        identity.check_present(env.config.data_dir, identity.DB_NAME)    # a lost store is said, not skipped
    if rebuild and not (env.config.data_dir / "callwatch.db").exists():
        raise CallwatchError(f"--store: no call store in {env.config.data_dir}")
    if not no_store and (env.config.data_dir / "callwatch.db").exists():
        store = env.store()
    try:
        ca = Path(tsa_ca) if tsa_ca else env.config.timestamp.ca_file
        report = verify(Path(pack), store, ca, rebuild_config=env.config if rebuild else None)
    finally:
        if store is not None:
            store.close()
    if report.fingerprint:
        console.print(f"fingerprint: {report.fingerprint} (SHA-256 of manifest.json)", highlight=False, soft_wrap=True)
    if report.root:
        console.print(f"       root: {report.root} (SHA-256 of SHA256SUMS)", highlight=False, soft_wrap=True)
    for good, line in report.lines():
        if good:
            console.print(line, highlight=False, soft_wrap=True)
        else:
            err.print(line, highlight=False, soft_wrap=True)
    sys.exit(report.exit_code)


@cli.command("formats")
@click.pass_obj
@handle_errors
def formats_cmd(env):
    """List the import formats and how each identifies a call."""
    table = Table(title="Formats", title_justify="left")
    for col in ("name", "description", "precision", "natural identity"):
        table.add_column(col, overflow="fold")
    for f in importers.available(env.config):
        table.add_row(f.name, f.description, f.precision, f.identity)
    console.print(table)


@cli.command("demo")
@click.option("--dir", "folder", type=click.Path(file_okay=False),
              help="Folder for the demo store and its pack (default: <data dir>/demo).")
@click.pass_obj
@handle_errors
def demo_cmd(env, folder):
    """The whole product on a bundled example household: import, scan, evidence pack."""
    from callwatch import demo
    data_dir = Path(folder) if folder else Path(env.data_dir_opt or config_mod.default_data_dir()) / "demo"
    demo_env = Env(str(demo.CONFIG), str(data_dir))
    console.print(f"Demo store: {data_dir} (your own store is not touched)", soft_wrap=True, highlight=False)
    run_import(demo_env, [demo.EXPORTS])
    store = demo_env.store()
    try:
        demo.print_summary(store, console)
    finally:
        store.close()
    run_scan(demo_env)
    run_report(demo_env, out_dir=data_dir / "reports")


@cli.command("daemon")
@click.pass_obj
@handle_errors
def daemon_cmd(env):
    """Run the service: watch the inbox, scan, alert, snapshot, maintain (stops on SIGTERM)."""
    from callwatch.daemon import Daemon
    logging.getLogger("callwatch").setLevel(logging.INFO)     # libraries (APScheduler...) only when they warn
    sys.exit(Daemon(env.config).run())


@cli.group("web", invoke_without_command=True)
@click.option("--bind", default=None, metavar="HOST:PORT",
              help="Address to serve on (default: [web] bind, 127.0.0.1:8740). Another address than loopback "
                   "needs a password (`callwatch web set-password`).")
@click.pass_context
@handle_errors
def web_group(ctx, bind):
    """Serve the local web page (stops on Ctrl-C or SIGTERM)."""
    if ctx.invoked_subcommand is not None:
        return
    from callwatch.web.server import serve
    env = ctx.obj
    logging.getLogger("callwatch").setLevel(logging.INFO)
    serve(env.config, bind, ready=lambda url: console.print(f"callwatch's page: {url} (Ctrl-C stops it)",
                                                            highlight=False, soft_wrap=True))


@web_group.command("set-password")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.pass_obj
@handle_errors
def web_set_password_cmd(env, password_stdin):
    """Set the page's password (needed to serve it on another address than loopback)."""
    from callwatch.web import auth
    password = sys.stdin.readline().rstrip("\n") if password_stdin else \
        click.prompt("New password for the web page", hide_input=True, confirmation_prompt=True)
    path = auth.set_password(env.config.data_dir, password)
    console.print(f"Password set (scrypt hash in {path}, private). Logged-in browsers stay logged in until the "
                  "page restarts.", highlight=False, soft_wrap=True)


@cli.group("alerts")
def alerts_group():
    """Alerts ([daemon] alert_urls)."""


@alerts_group.command("test")
@click.pass_obj
@handle_errors
def alerts_test_cmd(env):
    """Send a test message to each alert URL and say which delivered it."""
    from callwatch import alerts
    results = alerts.send_test(env.config)
    for url, ok in results:
        console.print(f"{'delivered' if ok else 'FAILED'}: {url}", highlight=False, soft_wrap=True,
                      style=None if ok else "red")
    if not all(ok for _, ok in results):
        err.print("A URL failed: check it with apprise's documentation (https://github.com/caronc/apprise/wiki); the "
                  "daemon's alerts go through the same URLs.", highlight=False, soft_wrap=True)
        sys.exit(1)


@cli.group("source")
def source_group():
    """Live sources (boxes polled by the daemon)."""


@source_group.command("pair")
@click.argument("kind", type=click.Choice(["freebox"]))
@click.option("--url", default=None, help="The box's address (default: the [[sources]] entry, or http://mafreebox.freebox.fr).")
@click.pass_obj
@handle_errors
def source_pair_cmd(env, kind, url):
    """Pair once with a box; its token is stored private (0600) in the data directory."""
    from callwatch.sources import freebox
    configured = next((s.url for s in env.config.sources if s.kind == kind), None)
    path = freebox.pair((url or configured or "http://mafreebox.freebox.fr").rstrip("/"), env.config.data_dir,
                        say=lambda text: console.print(text, highlight=False))
    console.print(f"Paired. Token stored in {path} (private).", highlight=False, soft_wrap=True)


@source_group.command("login")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.pass_obj
@handle_errors
def source_login_cmd(env, name, password_stdin):
    """Store the password of a FRITZ!Box or Livebox source (0600), after one test poll."""
    from callwatch import sources
    source = next((s for s in env.config.sources if s.name == name), None)
    if source is None:
        known = ", ".join(s.name for s in env.config.sources) or "none configured"
        raise CallwatchError(f"no [[sources]] entry named {name!r} ({known})")
    if source.kind == "freebox":
        raise CallwatchError("a Freebox pairs instead: run `callwatch source pair freebox`")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else \
        click.prompt(f"Password of {source.user} on {source.url}", hide_input=True)
    size = sources.module(source.kind).check_login(source.url, source.user, password)
    path = sources.save_secret(env.config.data_dir, source.name, {"user": source.user, "password": password})
    console.print(f"Logged in: the call list answered ({size} bytes). Password stored in {path} (private).",
                  highlight=False, soft_wrap=True)


@cli.command("status")
@click.option("--stale-days", type=click.FloatRange(min=0), default=7, show_default=True,
              help="Warn when a phone's newest exported call is older than this many days.")
@click.pass_obj
@handle_errors
def status_cmd(env, stale_days):
    """What the daemon did and will do, what the store holds, each phone's exports, the latest findings and snapshot."""
    from callwatch import status
    store = env.store()
    try:
        st = status.gather(store, env.config, stale_days=stale_days)
    finally:
        store.close()
    console.print(f"config: {st.config_name}; data: {st.data_dir}", highlight=False, soft_wrap=True)
    state = st.daemon
    if state:
        console.print(f"daemon: {'running' if state['alive'] else 'not running'} (pid {state['pid']}, state of "
                      f"{state['updated_at']}), inbox {shown(state['inbox'])}", highlight=False, soft_wrap=True)
        if state.get("web"):
            console.print(f"web page: {state['web']}", highlight=False, soft_wrap=True)
    else:
        console.print("daemon: never started on this data directory", highlight=False)
    table = Table(title="Jobs", title_justify="left")
    for col in ("job", "last run (UTC)", "result", "detail", "next run (UTC)"):
        table.add_column(col, overflow="fold")
    for job in st.jobs:
        table.add_row(job.name, job.last_run or "-", job.result or "-", shown(job.detail or '')[:400], job.next_run or "-")
    console.print(table)
    console.print(", ".join(f"{n} {t}" for t, n in st.counts.items()), highlight=False)
    for phone in st.phones:
        newest = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(phone.newest_ms / 1000))
        console.print(f"{phone.label}: {len(phone.exports)} export(s), newest call {newest}", highlight=False,
                      soft_wrap=True)
        for warning in phone.warnings():
            console.print(f"  WARNING: {warning}", highlight=False, soft_wrap=True, style="yellow")
    for f in st.findings:
        console.print(f"finding {f['id']} [{f['severity']}] {f['label']}", highlight=False)
    console.print(f"latest snapshot: {st.snapshots[-1] if st.snapshots else 'none yet'}", highlight=False,
                  soft_wrap=True)


@cli.command("contribute")
@click.option("--association-key", "key_file", required=True, type=click.Path(dir_okay=False),
              help="The association's key file (one line of hexadecimal digits, from the association).")
@click.option("--finding", "finding_ids", type=ID, multiple=True,
              help="A finding to contribute (repeatable; default: every harassment finding).")
@click.option("--pack", "packs", type=click.Path(exists=True), multiple=True,
              help="An evidence pack (folder or zip) of a contributed finding: its fingerprint, root and "
                   "time-stamp token go in the manifest, never its content (repeatable).")
@click.option("--area", default=None, metavar="CODE|address",
              help="Share your coarse area (opt-in): a postcode or département (FR), a postcode or its first half "
                   "(UK), a state (US), or 'address' for the one in [complainant]. Never finer.")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="The contribution file (FILE.parquet).")
@click.option("--show", is_flag=True, help="Print exactly what would leave the house (with --out, also write it).")
@click.pass_obj
@handle_errors
def contribute_cmd(env, key_file, finding_ids, packs, area, out, show):
    """Export a pseudonymised contribution for an association's pool (one Parquet file)."""
    from callwatch.pool import contribute, keys
    if not out and not show:
        raise click.UsageError("give --out FILE.parquet, or --show to see what would leave the house")
    key = keys.read_key(Path(key_file))
    store = env.store()
    try:
        contribution = contribute.gather(store, env.config, key, finding_ids=finding_ids, packs=packs, area=area)
    finally:
        store.close()
    if show:
        click.echo(contribution.show(), nl=False)
    if out:
        path, side = contribute.write(contribution, Path(out))
        console.print(f"Contribution: {path} ({contribution.table.num_rows} calls; manifest also in {side.name})",
                      highlight=False, soft_wrap=True)
        console.print("Left in the house: " + contribute.left_out_text(contribution.left_out), highlight=False,
                      soft_wrap=True)


@cli.group("pool")
@click.option("--pool", "pool_dir", type=click.Path(file_okay=False), envvar="CALLWATCH_POOL",
              help="The pool's folder (default: $CALLWATCH_POOL).")
@click.pass_context
def pool_group(ctx, pool_dir):
    """An association's pool of contributions (DuckDB on one machine, Spark beyond)."""
    ctx.obj.pool_dir = pool_dir


@pool_group.command("init")
@click.option("--association-key", "key_file", required=True, type=click.Path(dir_okay=False),
              help="The association's key file (with --new-key: made there, never over a file).")
@click.option("--new-key", is_flag=True, help="Make a new random key in that file (then give it to members).")
@click.option("--k", "k", type=click.IntRange(2, 10_000), default=5, show_default=True,
              help="A block, number, area or operator name is shown only when at least k households report it.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True)
@click.option("--spark-master", default="local[*]", show_default=True, help="Spark's master URL (engine spark).")
@click.pass_obj
@handle_errors
def pool_init_cmd(env, key_file, new_key, k, engine, spark_master):
    """Make a pool folder bound to the association's key."""
    from callwatch.pool import keys, pool
    folder = pool.folder_of(env.pool_dir)
    key = keys.new_key(Path(key_file)) if new_key else keys.read_key(Path(key_file))
    settings = pool.init(folder, key, k=k, engine=engine, spark_master=spark_master)
    console.print(f"Pool {folder}: key fingerprint {settings.key_fingerprint}, k = {settings.k}, engine "
                  f"{settings.engine}" + (f"; new key written to {key_file} (give it to members; keep a copy)"
                                          if new_key else ""), highlight=False, soft_wrap=True)


@pool_group.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.pass_obj
@handle_errors
def pool_add_cmd(env, files):
    """Add contributions (Parquet files): checked, a household's newest kept, stored partitioned."""
    from callwatch.pool import pool
    the_pool = pool.Pool(pool.folder_of(env.pool_dir))
    with _progress_bar() as bar:
        task = bar.add_task("pool add", total=len(files))
        results = the_pool.add([Path(f) for f in files],
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
        if r.status != "added" or r.rejected:
            why = "; ".join(f"{n} row(s) rejected: {reason}" for reason, n in r.rejected.items())
            line = f"{r.path}: {r.status}" + (f": {r.message}" if r.message else "") + (f"; {why}" if why else "")
            (err if r.status == "refused" else console).print(shown(line), highlight=False, soft_wrap=True)
    kept = sum(r.kept for r in results if r.status in ("added", "replaced"))
    rejected = sum(r.rejected_total for r in results if r.status in ("added", "replaced"))
    console.print(f"{len(results)} file(s): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                  + f"; {kept} calls kept, {rejected} rows rejected; the pool holds "
                  f"{len(the_pool.contributions())} household(s)", highlight=False, soft_wrap=True)
    if counts.get("refused"):
        sys.exit(1)


@pool_group.command("report")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder for the report.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default=None,
              help="Run on this engine (default: the pool's).")
@click.pass_obj
@handle_errors
def pool_report_cmd(env, out_dir, engine):
    """The pooled figures per rule pack, operator and month: CSV files and a PDF in --out."""
    from callwatch.pool import pool, report
    the_pool = pool.Pool(pool.folder_of(env.pool_dir))
    with err.status("analysing the pool..."):
        result = report.make(the_pool, Path(out_dir), engine=engine)
    console.print(f"Report: {result.folder} ({', '.join(result.files)}), on {result.engine} in "
                  f"{result.seconds:.1f} s", highlight=False, soft_wrap=True)


def main():
    cli(prog_name="callwatch")
