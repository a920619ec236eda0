"""Every call on its line: what the export says, then what the config maps; an unknown line is
never a wildcard for merging two sources' records into one call."""

import sqlite3

import pytest

from callwatch import config as config_mod
from callwatch.errors import ConfigError
from test_import_asterisk import CDR_CSV

# An Android phone (SMS Backup & Restore XML, subscription 1) and an iPhone (CallHistory.storedata)
# rung by the same withheld dialler 0.3 s apart, then answered for 0 s on each.
SBR = """\
<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<calls count="2" backup_set="0b1c" backup_date="1791800000000" type="full">
  <call number="" duration="0" date="1791796807000" type="3" presentation="2" subscription_id="1" contact_name="(Unknown)" />
  <call number="0611223344" duration="0" date="{grandma_ms}" type="3" presentation="1" subscription_id="1" contact_name="Mamie" />
</calls>
"""
IOS_SCHEMA = ("CREATE TABLE ZCALLRECORD (Z_PK INTEGER PRIMARY KEY, ZANSWERED INTEGER, ZCALLTYPE INTEGER, "
              "ZNUMBER_AVAILABILITY INTEGER, ZORIGINATED INTEGER, ZDATE TIMESTAMP, ZDURATION FLOAT, ZADDRESS VARCHAR, "
              "ZISO_COUNTRY_CODE VARCHAR, ZNAME VARCHAR, ZUNIQUE_ID VARCHAR)")
# 2026-10-12T09:20:07.3Z: 813489607.3 s after 2001-01-01T00:00:00Z
IOS_ROWS = [(1, 0, 1, 1, 0, 813489607.3, 0.0, "", "fr", None, "X-1")]

# The household's FRITZ!Box line rung by grandma at 14:02, then her call to the mobile 20 s later.
FRITZ_GRANDMA = ("sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"
                 "2;12.10.26 14:02;Mamie;0611223344;;Internet: 0123456789;0:00\n")
GRANDMA_MOBILE_MS = 1791806540000          # 2026-10-12 14:02:20 Paris

# The FRITZ!Box in front of an Asterisk PBX whose CDRs name the extension (100), not the line.
CDR_EXTENSION = CDR_CSV.replace('"0162345012","0123456789"', '"0162345012","100"')
FRITZ_SAME_CALL = ("sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"
                   "1;12.10.26 11:20;;0162345012;Telefon Küche;Internet: 0123456789;0:01\n")

LINES = """
region = "FR"
timezone = "Europe/Paris"

[asterisk]
incoming_contexts = ["from-trunk"]
outgoing_contexts = ["from-internal"]
extensions = ["100", "101"]
"""


def _ios(h):
    path = h.exports / "CallHistory.storedata"
    conn = sqlite3.connect(path)
    conn.execute(IOS_SCHEMA)
    conn.executemany("INSERT INTO ZCALLRECORD VALUES (?,?,?,?,?,?,?,?,?,?,?)", IOS_ROWS)
    conn.commit()
    conn.close()
    return path


def _sbr(h):
    return h.write("calls.xml", SBR.format(grandma_ms=GRANDMA_MOBILE_MS))


@pytest.mark.parametrize("mapping", ["", """
[[lines]]
number = "06 98 76 54 32"
label = "Anne's mobile"
sources = ["android-calllog"]

[[lines]]
number = "07 56 12 34 56"
label = "Paul's iPhone"
sources = ["ios-callhistory"]
"""])
def test_two_phones_ringing_together_are_two_calls(make_household, mapping):
    h = make_household(LINES + mapping, name="mapped" if mapping else "unmapped")
    h.import_(_sbr(h))
    r = h.import_(_ios(h))
    assert (r.new, r.merged) == (1, 0)
    withheld = h.calls("presentation = 'withheld'")
    assert len(withheld) == 2
    lines = {c["family"]: (c["line"], c["line_basis"]) for c in withheld}
    if mapping:
        assert lines == {"android-calllog": ("+33698765432", "source"), "ios-callhistory": ("+33756123456", "source")}
    else:    # an unmapped source is a line of its own, named after the source
        assert lines == {"android-calllog": ("source:android-calllog", "unmapped"),
                         "ios-callhistory": ("source:ios-callhistory", "unmapped")}


def test_grandma_ringing_the_landline_then_the_mobile_is_two_calls(make_household):
    h = make_household(LINES + '\n[[lines]]\nnumber = "01 23 45 67 89"\nlabel = "home"\n')
    h.import_(h.write("fritz.csv", FRITZ_GRANDMA))
    r = h.import_(_sbr(h))
    assert r.merged == 0
    calls = h.calls("number = '+33611223344'")
    assert [(c["family"], c["line"]) for c in calls] == [("fritzbox", "+33123456789"),
                                                         ("android-calllog", "source:android-calllog")]


def test_the_pbx_behind_the_box_merges_only_when_its_extension_is_mapped_to_the_line(make_household):
    plain = make_household(LINES + '\n[[lines]]\nnumber = "01 23 45 67 89"\nlabel = "home"\n', name="plain")
    plain.import_(plain.write("Master.csv", CDR_EXTENSION))
    r = plain.import_(plain.write("fritz.csv", FRITZ_SAME_CALL))
    assert (r.merged, r.new) == (0, 1)          # extension 100 is no line the config knows: two calls
    mapped = make_household(LINES + '\n[[lines]]\nnumber = "01 23 45 67 89"\nlabel = "home"\n'
                            'extensions = ["100", "101"]\n', name="mapped")
    mapped.import_(mapped.write("Master.csv", CDR_EXTENSION))
    r = mapped.import_(mapped.write("fritz.csv", FRITZ_SAME_CALL))
    assert (r.merged, r.new) == (1, 0)
    (call,) = mapped.calls("number = '+33162345012'")
    assert (call["line"], call["line_basis"], call["family"]) == ("+33123456789", "extension", "asterisk")


def test_a_record_without_its_line_merges_only_with_a_source_the_config_puts_on_that_line(make_household):
    # The box's list without "Eigene Rufnummer" (an older export), the PBX naming its DID.
    fritz = "sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n1;12.10.26 11:20;;0162345012;;;0:01\n"
    loose = make_household(LINES + '\n[[lines]]\nnumber = "01 23 45 67 89"\nlabel = "home"\n', name="loose")
    loose.import_(loose.write("Master.csv", CDR_CSV))
    assert loose.import_(loose.write("fritz.csv", fritz)).merged == 0
    said = make_household(LINES + '\n[[lines]]\nnumber = "01 23 45 67 89"\nlabel = "home"\nsources = ["fritzbox"]\n',
                          name="said")
    said.import_(said.write("Master.csv", CDR_CSV))
    assert said.import_(said.write("fritz.csv", fritz)).merged == 1


def test_a_sim_subscription_maps_a_phone_to_its_line(make_household):
    h = make_household(LINES + '\n[[lines]]\nnumber = "06 98 76 54 32"\nlabel = "mobile"\naccounts = ["1"]\n')
    h.import_(_sbr(h))
    assert {(c["line"], c["line_basis"], c["own_line"]) for c in h.calls()} == {("+33698765432", "account", "account:1")}


@pytest.mark.parametrize("lines, key, words", [
    ('[[lines]]\nnumber = "hello"\n', "lines[0].number", "not a telephone number"),
    ('[[lines]]\nnumber = "0123456789"\nextensions = ["100"]\n[[lines]]\nnumber = "0698765432"\nextensions = ["100"]\n',
     "lines", "same extension '100'"),
    ('[[lines]]\nnumber = "0123456789"\nlabel = "home"\n[[lines]]\nnumber = "0698765432"\nlabel = "home"\n',
     "lines", "same label 'home'"),
])
def test_lines_that_cannot_be_told_apart_are_refused(tmp_path, lines, key, words):
    path = tmp_path / "c.toml"
    path.write_text(lines, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        config_mod.load(path)
    assert key in str(exc.value) and words in str(exc.value)
