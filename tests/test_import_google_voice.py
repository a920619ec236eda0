"""Google Voice call pages from Google Takeout."""

PAGE = """<?xml version="1.0" ?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>{title}
</title></head>
<body><div class="haudio"><span class="album">Call Log for
</span>
<span class="fn">{title}
{name}</span>
<div class="contributor vcard">{title}
<a class="tel" href="tel:{number}"><span class="fn">{name}</span></a></div>
<abbr class="published" title="{when}">Oct 12, 2026, 5:20:07&#8239;AM
Eastern Time</abbr>
{duration}
<div class="tags">Labels:
<a rel="tag" href="http://www.google.com/voice#{tag}">{tag}</a></div>
<div class="deletedStatusContainer">User Deleted:
False</div></div></body></html>
"""


def page(title, tag, number="+12025550143", name="", when="2026-10-12T05:20:07.250-04:00", duration=None):
    dur = f'<br />\n<abbr class="duration" title="{duration}">(00:01:05)</abbr>' if duration else ""
    return PAGE.format(title=title, tag=tag, number=number, name=name, when=when, duration=dur)


def test_kinds_offsets_durations_and_withheld(household):
    files = {
        "+12025550143 - Received - 2026-10-12T09_20_07Z.html": page("Received call from", "received", name="Dr Who",
                                                                    duration="PT1M5S"),
        " - Missed - 2026-10-12T10_00_00Z.html": page("Missed call from", "missed", number="",
                                                     when="2026-10-12T06:00:00.000-04:00"),
        "+12025550143 - Placed - 2026-10-13T01_00_00Z.html": page("Placed call to", "placed", duration="PT1H2M3S",
                                                                  when="2026-10-12T21:00:00.000-04:00"),
    }
    for name, text in files.items():
        r = household.import_(household.write(name, text))
        assert (r.format, r.new) == ("google-voice-html", 1), name
    received, missed, placed = household.calls()
    assert (received["start_utc"], received["duration_s"], received["caller_name"]) == \
        ("2026-10-12T09:20:07.250Z", 65, "Dr Who")
    assert received["number"] == "+12025550143" and received["tz"] == "UTC-0400"
    assert (missed["presentation"], missed["outcome"]) == ("withheld", "missed")
    assert (placed["direction"], placed["duration_s"]) == ("out", 3723)


def test_a_text_message_page_is_refused_with_a_reason(household):
    text = page("Text message", "sms").replace("Text message", "Me:")
    r = household.import_(household.write("Text - 2026.html", text))
    assert r.status == "skipped" and "not a call" in r.message


def test_a_whole_takeout_folder_imports_and_skips_what_is_not_a_call(household):
    household.write("Takeout/Voice/Calls/+12025550143 - Received - 2026-10-12T09_20_07Z.html",
                    page("Received call from", "received", duration="PT5S"))
    household.write("Takeout/Voice/Calls/+12025550143 - Voicemail - 2026-10-12T10_00_00Z.mp3",
                    b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(200))
    household.write("Takeout/Voice/Calls/+12025550143 - Text - 2026-10-12T11_00_00Z.html",
                    '<html><body><div class="hChatLog hfeed"><div class="message">Google Voice: hello</div></div>'
                    '</body></html>')
    from callwatch.ingest import expand
    results = [household.import_(p) for p in expand([household.exports / "Takeout"])]
    assert sorted(r.status for r in results) == ["imported", "skipped", "skipped"]
    assert all("skipped" in r.message for r in results if r.status == "skipped")


def test_pages_without_head_or_call_log_title_are_recognised_by_their_markup(household):
    full = page("Missed call from", "missed", name="Jo")
    headless = full[full.index("<body>"):]                                  # <head> stripped on saving
    untitled = full.replace('<span class="album">Call Log for\n</span>\n', "")   # no "Call Log for"
    bare = untitled[untitled.index('<div class="haudio">'):untitled.rindex("</body>")]   # the call's markup alone
    resaved = headless.replace('"', "'").replace("rel='tag'", "rel=tag")       # re-saved by an editor
    for i, text in enumerate((headless, untitled, bare, resaved)):
        r = household.import_(household.write(f"call-{i}.html", text.replace("05:20:07", f"05:2{i}:07")))
        assert (r.status, r.format, r.new) == ("imported", "google-voice-html", 1), i
    assert {(c["outcome"], c["caller_name"]) for c in household.calls()} == {("missed", "Jo")}
