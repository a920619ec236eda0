"""A CSV no built-in importer knows, read through a mapping declared in the config."""

MAPPING = """
region = "FR"
timezone = "Europe/Paris"

[[csv_mappings]]
name = "operator-portal"
delimiter = ";"
time_format = "%d/%m/%Y %H:%M:%S"
duration_format = "m:ss"

[csv_mappings.columns]
start = "Date et heure"
number = "Correspondant"
direction = "Sens"
duration = "Durée"

[csv_mappings.direction_values]
"Appel reçu" = "in"
"Appel émis" = "out"
"Appel manqué" = "in"

[csv_mappings.outcome_values]
"Appel manqué" = "missed"
"""

EXPORT = """\
Date et heure;Correspondant;Sens;Durée
12/10/2026 11:20:07;01 62 34 50 12;Appel reçu;0:02
12/10/2026 11:25:00;01 62 34 50 12;Appel manqué;0:00
25/10/2026 02:30:00;01 62 34 50 13;Appel manqué;0:00
12/10/2026 18:00:00;06 11 22 33 44;Appel émis;10:00
13/10/2026;06 11 22 33 44;Appel émis;1:00
12/10/2026 19:00:00;06 11 22 33 44;Transfert;1:00
"""


def test_declared_mapping_imports_with_rejects(make_household):
    h = make_household(MAPPING)
    r = h.import_(h.write("portail.csv", EXPORT))
    assert (r.format, r.read, r.new, r.rejected) == ("csv:operator-portal", 6, 4, 2)
    calls = h.calls()
    assert calls[0]["start_utc"] == "2026-10-12T09:20:07.000Z" and calls[0]["duration_s"] == 2
    assert [c["outcome"] for c in calls] == ["answered", "missed", "answered", "missed"]
    dst = [c for c in calls if c["time_flag"]]
    assert len(dst) == 1 and dst[0]["time_flag"] == "dst-ambiguous"
    reasons = [x["reason"] for x in h.store.rejects(r.import_id)]
    assert "does not match '%d/%m/%Y %H:%M:%S'" in reasons[0]
    assert "direction 'Transfert' is not in direction_values" in reasons[1]
