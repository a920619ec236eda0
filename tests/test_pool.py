"""The association pool: what a contribution holds (and never holds), the keyed pseudonym, pool add's
checks, replacement and rejects, the rule packs kept apart, k-anonymity, the report's files."""

from __future__ import annotations

import json
import re
import stat
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

import pool_households as ph
from callwatch.cli import cli
from callwatch.detect import review, scan
from callwatch.pool import analysis, contribute, keys, pool as pool_mod, report, schema

KEY_A = bytes.fromhex("11" * 32)
KEY_B = bytes.fromhex("22" * 32)
COUNTED = ("declared", "same-block", "confirmed")


def fr(make_household, name="fr", seed=1):
    return ph.make(make_household, name, ph.FR_CONFIG, ph.fr_events(seed), "Europe/Paris")


def contribution_file(h, key, out: Path, **kw) -> Path:
    c = contribute.gather(h.store, h.config, key, **kw)
    contribute.write(c, out)
    return out


def counted_in_store(h) -> int:
    """The counted calls of the household's harassment findings, as its own store holds them."""
    return h.store.conn.execute(
        "SELECT COUNT(*) FROM finding_calls fc JOIN findings f ON f.id = fc.finding_id WHERE f.category != 'nuisance' "
        "AND fc.attribution IN ('declared', 'same-block', 'confirmed') AND ',' || fc.signals || ',' NOT LIKE '%,future,%'"
    ).fetchone()[0]


def test_contribution_holds_no_contact_no_own_number_no_name(make_household, tmp_path):
    h = fr(make_household)
    events = ph.fr_events(1)
    operator_numbers = {n for _w, n, *_rest, who in events if who == "operator"}
    # the user excludes one of the operator's numbers: its calls stay in the house
    excluded_number = "+33162345027"
    review.exclude(h.store, h.config, number=excluded_number, reason="my plumber, as it turned out")
    scan(h.store, h.config, full=True)
    excluded_calls = sum(1 for _w, n, kind, *_r in events if n == excluded_number and kind != 2)
    out = contribution_file(h, KEY_A, tmp_path / "c.parquet")
    blob = out.read_bytes() + contribute.manifest_path(out).read_bytes()
    rows = pq.read_table(out).to_pylist()

    # the contact shares the operator's block: neither its number, nor its name, nor its calls leave
    assert ph.FR_CONTACT[:-3] == "+33162345077"[:-3] == "+33162345012"[:-3]
    for secret_text in (ph.FR_CONTACT, "162345077", "Maman", "+33123456789", "123456789", "Alice", "Martin",
                        "Lilas", "75011", ph.FR_NUISANCE, "755667788", excluded_number):
        assert secret_text.encode() not in blob, secret_text
    assert keys.household_secret(h.config.data_dir) not in blob
    # what did leave: the operator's calls, each with its own number, and nothing else
    assert {r["caller_number"] for r in rows} == operator_numbers - {excluded_number}
    assert len(rows) == sum(1 for _w, n, kind, *_r, who in events if who == "operator" and n != excluded_number)
    assert {r["tier"] for r in rows} <= set(COUNTED)
    assert all(r["caller_block"] == "+33162345xxx" for r in rows)
    manifest = json.loads(contribute.manifest_path(out).read_text())
    assert manifest["left_out"]["excluded_calls"] == excluded_calls
    assert manifest["left_out"]["unreviewed_calls"] == 6              # the repeated mobile's six calls
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_pseudonym_changes_with_the_key_and_stays_with_the_household(make_household, tmp_path):
    h = fr(make_household)
    a1 = contribute.gather(h.store, h.config, KEY_A).manifest
    a2 = contribute.gather(h.store, h.config, KEY_A).manifest
    b = contribute.gather(h.store, h.config, KEY_B).manifest
    assert a1["household"] == a2["household"] != b["household"]
    assert a1["contribution"] != a2["contribution"]
    assert a1["key_fingerprint"] == keys.fingerprint(KEY_A) != b["key_fingerprint"]
    assert re.fullmatch(r"[0-9a-f]{64}", a1["household"])
    # another household, same key: another pseudonym
    other = fr(make_household, "fr2", seed=5)
    assert contribute.gather(other.store, other.config, KEY_A).manifest["household"] != a1["household"]
    # the secret is private to the household
    secret = h.config.data_dir / "secrets" / keys.SECRET_NAME
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


def test_show_prints_exactly_what_is_written(make_household, tmp_path):
    h = fr(make_household)
    key_file = tmp_path / "assoc.key"
    key_file.write_text(KEY_A.hex() + "\n")
    out = tmp_path / "c.parquet"
    result = CliRunner().invoke(cli, ["--config", str(h.config_path), "--data-dir", str(h.config.data_dir),
                                      "contribute", "--association-key", str(key_file), "--show", "--out", str(out),
                                      "--area", "address"])
    assert result.exit_code == 0, result.output
    written = pq.read_table(out)
    side = contribute.manifest_path(out).read_text()
    inside = written.schema.metadata[schema.MANIFEST_KEY].decode()
    assert side == inside and side in result.output
    assert json.loads(side)["area"] == "FR-75"
    header = ",".join(written.column_names)
    lines = result.output.split(header + "\n", 1)[1].split("\n\nLeft in the house")[0].splitlines()
    assert len(lines) == written.num_rows
    assert [ln.split(",")[19] for ln in lines] == [n or "" for n in written.column("caller_number").to_pylist()]


def test_an_unreviewed_repeated_caller_is_refused_by_name(make_household, tmp_path):
    h = fr(make_household)
    nuisance = h.store.conn.execute("SELECT id FROM findings WHERE category = 'nuisance'").fetchone()[0]
    key_file = tmp_path / "assoc.key"
    key_file.write_text(KEY_A.hex())
    result = CliRunner().invoke(cli, ["--config", str(h.config_path), "--data-dir", str(h.config.data_dir),
                                      "contribute", "--association-key", str(key_file), "--finding", str(nuisance),
                                      "--out", str(tmp_path / "c.parquet")])
    assert result.exit_code == 2
    said = " ".join(result.output.split())          # the console wraps long sentences
    assert "nobody said is canvassing" in said and "Traceback" not in said
    assert not (tmp_path / "c.parquet").exists()
    bad_key = tmp_path / "bad.key"
    bad_key.write_text("hello")
    result = CliRunner().invoke(cli, ["--config", str(h.config_path), "--data-dir", str(h.config.data_dir),
                                      "contribute", "--association-key", str(bad_key), "--show"])
    assert result.exit_code == 2 and "not an association key" in " ".join(result.output.split())


@pytest.mark.parametrize("value, jurisdiction, expected", [
    ("75011", "fr", "FR-75"), ("20090", "fr", "FR-2A"), ("20200", "fr", "FR-2B"), ("97400", "fr", "FR-974"),
    ("2B", "fr", "FR-2B"), ("SW1A 1AA", "uk", "UK-SW1A"), ("m1", "uk", "UK-M1"), ("ca", "us", "US-CA")])
def test_area_is_never_finer_than_a_departement_half_a_postcode_or_a_state(value, jurisdiction, expected):
    assert schema.area(value, jurisdiction) == expected


@pytest.mark.parametrize("value, jurisdiction", [("7501", "fr"), ("Paris", "fr"), ("XX", "us"), ("75011", "generic"),
                                                 ("12 rue X", "uk")])
def test_area_refuses_what_it_cannot_coarsen(value, jurisdiction):
    with pytest.raises(ValueError):
        schema.area(value, jurisdiction)


def _pool(tmp_path, key=KEY_A, k=5) -> pool_mod.Pool:
    pool_mod.init(tmp_path / "pool", key, k=k)
    return pool_mod.Pool(tmp_path / "pool")


def test_three_rule_packs_stay_apart(make_household, tmp_path):
    households = {
        "fr": fr(make_household),
        "uk": ph.make(make_household, "uk", ph.UK_CONFIG, ph.uk_events(), "Europe/London"),
        "us": ph.make(make_household, "us", ph.US_CONFIG, ph.us_events(), "America/New_York")}
    files = [contribution_file(h, KEY_A, tmp_path / f"{name}.parquet") for name, h in households.items()]
    p = _pool(tmp_path, k=2)
    results = p.add(files)
    assert [r.status for r in results] == ["added"] * 3 and not any(r.rejected for r in results)
    rep = report.make(p, tmp_path / "report")
    figures = rep.figures
    for name, h in households.items():
        store_rules = Counter(dict(h.store.conn.execute("SELECT rule_id, COUNT(*) FROM breaches GROUP BY rule_id")))
        assert store_rules, f"the {name} household's calls break no rule: the test would prove nothing"
        pooled = Counter()
        for r in figures["breaches_total"]:
            if r["rule_pack"] == name:
                pooled[r["rule"]] += r["calls"]
        assert pooled == store_rules
        assert all(rule.startswith(name + ".") for rule in pooled)
        totals = next(r for r in figures["totals"] if r["rule_pack"] == name)
        assert totals["households"] == 1 and totals["counted_calls"] == counted_in_store(h)
    # "ACME Energy" (UK) and "Acme energy" (US) are one name under two laws: never added up into the two
    # households that would name it at k = 2; each pack has its one household, unnamed
    assert sorted((r["rule_pack"], r["operator"], r["households"]) for r in figures["operators"]) == [
        (pack, "(named by fewer than 2 households)", 1) for pack in ("fr", "uk", "us")]
    assert {f.name for f in (tmp_path / "report").iterdir()} >= {"report.pdf", "operators.csv", "breaches.csv",
                                                                   "blocks.csv", "heatmap.csv", "figures.json"}
    assert (tmp_path / "report" / "report.pdf").read_bytes().startswith(b"%PDF")
    written = json.loads((tmp_path / "report" / "figures.json").read_text("utf-8"))
    assert all(written[t] == figures[t] for t in report.TABLES) and written["report"]["contributions"] == 3
    assert stat.S_IMODE((tmp_path / "report").stat().st_mode) == 0o700


def test_blocks_numbers_and_operators_need_k_households(make_household, tmp_path):
    homes = [fr(make_household, f"fr{i}", seed=10 + i) for i in range(3)]
    files = [contribution_file(h, KEY_A, tmp_path / f"c{i}.parquet") for i, h in enumerate(homes)]
    shared_numbers = set.intersection(*({r["caller_number"] for r in pq.read_table(f).to_pylist()} for f in files))
    assert shared_numbers
    for k, shown in ((3, True), (4, False)):
        folder = tmp_path / f"k{k}"
        folder.mkdir()
        p = _pool(folder, k=k)
        p.add(files)
        figures = report.make(p, folder / "report").figures
        blocks = {r["block"]: r["households"] for r in figures["blocks"]}
        numbers = {r["number"] for r in figures["numbers"]}
        operators = {r["operator"] for r in figures["operators"]}
        if shown:
            assert blocks == {"+33162345xxx": 3}
            assert numbers == shared_numbers
            assert operators == {"operateur x"}
        else:
            assert blocks == {} and numbers == set()
            assert operators == {"(named by fewer than 4 households)"}
        # the counted calls are the same whatever k: only what names them is hidden
        assert sum(r["calls"] for r in figures["operators"]) == sum(counted_in_store(h) for h in homes)


def _tamper(src: Path, dst: Path, edit) -> Path:
    """A contribution whose rows were edited after contribute wrote them (its manifest kept)."""
    table = pq.read_table(src)
    rows = table.to_pylist()
    edit(rows)
    new = pa.Table.from_pylist(rows, schema=schema.SCHEMA).replace_schema_metadata(table.schema.metadata)
    pq.write_table(new, dst)
    return dst


def test_pool_add_counts_rejects_refuses_and_replaces(make_household, tmp_path):
    h = fr(make_household)
    first = contribution_file(h, KEY_A, tmp_path / "first.parquet")

    def edit(rows):
        rows[0]["caller_number"], rows[0]["tier"] = "+33162345010", "rotation"    # a number where a block may leave
        rows[1]["local_hour"] = 25
        rows[2]["rules_broken"] = ["uk.ofcom.repeat-72h"]
        rows[3]["tier"] = "excluded"
        rows[4]["household"] = "0" * 64
    tampered = _tamper(first, tmp_path / "tampered.parquet", edit)
    other_key = contribution_file(h, KEY_B, tmp_path / "other-key.parquet")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"PAR1 not really")
    p = _pool(tmp_path)
    results = {r.path.name: r for r in p.add([tampered, other_key, junk, tmp_path / "missing.parquet"])}
    t = results["tampered.parquet"]
    assert t.status == "added" and t.read == t.kept + 5
    assert t.rejected == {"a caller's number where only its block may leave (not attributed to a company)": 1,
                          "an hour outside 0-23 or a weekday outside 0-6": 1, "a rule of another rule pack": 1,
                          "a tier no contribution holds (excluded calls never leave)": 1,
                          "another household or contribution than its manifest's": 1}
    assert results["other-key.parquet"].status == "refused"
    assert "another association key" in results["other-key.parquet"].message
    assert results["junk.parquet"].status == "refused" and "not a Parquet file" in results["junk.parquet"].message
    assert results["missing.parquet"].status == "refused"
    assert p.add([tampered])[0].status == "already"

    # the household contributes again later: the newer replaces the older, whose rows leave the dataset
    newer = contribution_file(h, KEY_A, tmp_path / "newer.parquet")
    newer_id = pq.read_table(newer).column("contribution")[0].as_py()
    older_id = pq.read_table(tampered).column("contribution")[0].as_py()
    assert p.add([newer])[0].status == "replaced"
    assert p.add([first])[0].status == "older"          # made before the newer one: never back in
    stored = pa.concat_tables([pq.read_table(f) for f in p.data_files()])
    assert set(stored.column("contribution").to_pylist()) == {newer_id} != {older_id}
    assert stored.num_rows == pq.read_table(newer).num_rows
    assert len(p.contributions()) == 1
    assert sum(1 for _ in (tmp_path / "pool" / "data").rglob("*.parquet")) == len(p.data_files())
    for path in (tmp_path / "pool").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) in ((0o700,) if path.is_dir() else (0o600,)), path


def test_pool_commands_end_in_one_sentence(make_household, tmp_path, monkeypatch):
    monkeypatch.delenv("CALLWATCH_POOL", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["pool", "add", str(tmp_path / "x.parquet")])
    assert result.exit_code == 2 and "no pool folder" in " ".join(result.output.split())
    result = runner.invoke(cli, ["pool", "--pool", str(tmp_path / "nowhere"), "report", "--out", str(tmp_path / "r")])
    assert result.exit_code == 2 and "not a pool" in " ".join(result.output.split())
    key = tmp_path / "k.hex"
    result = runner.invoke(cli, ["pool", "--pool", str(tmp_path / "p"), "init", "--association-key", str(key),
                                 "--new-key"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(keys.read_key(key)) == 32
    result = runner.invoke(cli, ["pool", "--pool", str(tmp_path / "p2"), "init", "--association-key", str(key),
                                 "--new-key"])
    assert result.exit_code == 2 and "never overwritten" in " ".join(result.output.split())
    junk = tmp_path / "junk.parquet"
    junk.write_text("hello")
    monkeypatch.setenv("CALLWATCH_POOL", str(tmp_path / "p"))
    result = runner.invoke(cli, ["pool", "add", str(junk)])
    assert result.exit_code == 1 and "refused: not a Parquet file" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_no_upstream_module_imports_the_pool():
    root = Path(__file__).resolve().parent.parent / "callwatch"
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("pool/") or rel == "cli.py":
            continue
        text = path.read_text()
        assert "callwatch.pool" not in text and "from callwatch import pool" not in text, rel


def test_the_pool_counts_households_by_its_own_integer_the_pseudonym_stays_in_its_index(make_household, tmp_path):
    homes = [fr(make_household, f"fr{i}", seed=30 + i) for i in range(2)]
    files = [contribution_file(h, KEY_A, tmp_path / f"c{i}.parquet") for i, h in enumerate(homes)]
    pseudonyms = [json.loads(contribute.manifest_path(f).read_text())["household"] for f in files]
    p = _pool(tmp_path, k=2)
    assert [r.status for r in p.add(files)] == ["added", "added"]
    ids = p.index["household_ids"]
    assert sorted(ids) == sorted(pseudonyms) and sorted(ids.values()) == [1, 2]
    stored = pa.concat_tables([pq.read_table(f) for f in p.data_files()])
    assert "household" not in stored.column_names
    assert stored.schema.field("household_id").type == pa.int32()
    # each household's rows carry its own integer, as many as its contribution holds
    per_id = Counter(stored.column("household_id").to_pylist())
    assert per_id == {ids[pseudonyms[i]]: pq.read_table(files[i]).num_rows for i in range(2)}
    data = b"".join(f.read_bytes() for f in p.data_files())
    assert not any(s.encode() in data for s in pseudonyms)
    # what a household sent is unchanged: its file still names it by the keyed pseudonym
    assert set(pq.read_table(files[0]).column("household").to_pylist()) == {pseudonyms[0]}

    # a newer contribution of the first household keeps its integer; nobody else gets it
    newer = contribution_file(homes[0], KEY_A, tmp_path / "newer.parquet")
    assert p.add([newer])[0].status == "replaced"
    assert p.index["household_ids"] == ids
    stored = pa.concat_tables([pq.read_table(f) for f in p.data_files()])
    assert Counter(stored.column("household_id").to_pylist()) == {
        ids[pseudonyms[0]]: pq.read_table(newer).num_rows, ids[pseudonyms[1]]: pq.read_table(files[1]).num_rows}
    figures = report.make(p, tmp_path / "report").figures
    assert {r["rule_pack"]: r["households"] for r in figures["totals"]} == {"fr": 2}


def _as_format_1(folder: Path) -> None:
    """The pool as callwatch wrote it before household ids (index format 1): data files in the
    contribution's schema, naming each row's household by its pseudonym; no ids in the index."""
    index_path = folder / pool_mod.INDEX
    index = json.loads(index_path.read_text())
    by_id = {v: k for k, v in index.pop("household_ids").items()}
    index.pop("next_household_id")
    index["format"] = 1
    for batch in index["batches"].values():
        for rel in batch["files"]:
            table = pq.read_table(folder / rel)
            i = table.schema.get_field_index("household_id")
            pseudonym = pa.array([by_id[h] for h in table.column(i).to_pylist()], pa.string())
            table = table.set_column(i, schema.SCHEMA.field("household"), pseudonym).cast(schema.SCHEMA)
            pq.write_table(table, folder / rel, compression="zstd")
    index_path.write_text(json.dumps(index))


def test_a_pool_written_before_household_ids_is_converted_once_and_reports_the_same(make_household, tmp_path):
    homes = [fr(make_household, f"fr{i}", seed=40 + i) for i in range(3)]
    homes.append(ph.make(make_household, "uk", ph.UK_CONFIG, ph.uk_events(), "Europe/London"))
    files = [contribution_file(h, KEY_A, tmp_path / f"c{i}.parquet") for i, h in enumerate(homes)]
    at = datetime(2026, 12, 1, tzinfo=timezone.utc)
    fresh = _pool(tmp_path / "fresh", k=2)
    fresh.add(files)
    expected = report.make(fresh, tmp_path / "fresh-report", at=at).figures

    for how in ("report", "add"):
        folder = tmp_path / how
        old = _pool(folder, k=2)
        old.add(files)
        _as_format_1(folder / "pool")
        old = pool_mod.Pool(folder / "pool")
        assert old.outdated
        if how == "report":
            figures = report.make(old, folder / "report", at=at).figures
        else:
            assert [r.status for r in old.add([files[0]])] == ["already"]
            figures = report.make(old, folder / "report", at=at).figures
        reread = pool_mod.Pool(folder / "pool")
        assert not reread.outdated and reread.index["format"] == pool_mod.INDEX_FORMAT
        assert figures == expected
        assert sorted(reread.index["household_ids"].values()) == [1, 2, 3, 4]
        assert sum(1 for _ in (folder / "pool" / "data").rglob("*.parquet")) == len(reread.data_files())
        for path in reread.data_files():
            assert "household" not in pq.read_schema(path).names
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


_cells = st.one_of(st.none(), st.integers(-3, 3), st.booleans(), st.sampled_from(["a", "b", "fr", "+33162345xxx"]),
                   st.builds(Decimal, st.integers(0, 5)))
_any_rows = st.integers(1, 4).flatmap(lambda width: st.lists(st.tuples(*[_cells] * width), max_size=30))
# the common case: each column of one kind (ints or text), nothing missing
_plain_rows = st.integers(1, 4).flatmap(lambda width: st.lists(st.tuples(
    *[st.integers(-3, 3) if i % 2 == 0 else st.sampled_from(["a", "b", "ab", ""]) for i in range(width)]),
    max_size=30))


@given(st.one_of(_any_rows, _plain_rows))
def test_rows_come_back_in_one_order_whatever_the_engine_gave(rows):
    """Both engines' rows are compared after analysis._sorted: plain values, one order. Its quick path
    (tuples compared as they are) must order exactly as the general key (missing values last)."""
    expected = sorted((tuple(analysis._value(v) for v in r) for r in rows), key=analysis._order)
    got = analysis._sorted(rows)
    assert got == expected
    assert all(type(v) in (int, str, type(None)) for r in got for v in r)
