"""The web inspector at /inspector/, looked at in a real browser: Debian's Chromium
(`make browser`) driven by Playwright, after Alex invites Adele and Adele proposes a new
time. Plus its HTTP behaviour (auth off loopback, read-only, escaping, --no-inspector)."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from exchangelib import Attendee, CalendarItem, EWSDateTime, EWSTimeZone, Mailbox
from exchangelib.items import MeetingRequest

from ews_propose.testing import EwsEmulator

from .server_process import ServerProcess

UTC = EWSTimeZone("UTC")
START = EWSDateTime(2031, 6, 3, 12, tzinfo=UTC)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def lunch_with_a_proposal(ews: EwsEmulator, subject: str = "Lunch") -> None:
    """Alex invites Adele (proposals allowed); Adele tentatively accepts, proposing the next day."""
    alex = ews.exchangelib_account("AlexW@contoso.com")
    adele = ews.exchangelib_account("AdeleV@contoso.com")
    CalendarItem(account=alex, folder=alex.calendar, subject=subject, start=START,
                 end=START + dt.timedelta(hours=1), allow_new_time_proposal=True,
                 required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))],
                 ).save(send_meeting_invitations="SendToAllAndSaveCopy")
    request = next(i for i in adele.inbox.all() if isinstance(i, MeetingRequest))
    request.tentatively_accept(proposed_start=START + dt.timedelta(days=1),
                               proposed_end=START + dt.timedelta(days=1, hours=1), body="Tomorrow?")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it with `make browser`")
        pytest.skip("no Chromium: `make browser` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_after_a_proposal_a_person_sees_alex_adele_and_the_proposal(ews_emulator, page, tmp_path):
    from playwright.sync_api import expect

    lunch_with_a_proposal(ews_emulator)
    page.goto(ews_emulator.inspector_url)
    mailboxes = page.locator("table.mailboxes")
    expect(mailboxes).to_contain_text("Alex Wilber")
    expect(mailboxes).to_contain_text("Adele Vance")
    alex_row = mailboxes.locator("tr", has_text="AlexW@contoso.com")
    expect(alex_row).to_contain_text("1 unread")  # the proposal waiting in his Inbox
    meetings = page.locator("table.meetings")
    expect(meetings).to_contain_text("Lunch")
    expect(meetings).to_contain_text("Adele Vance: Tentative (new time proposed)")
    expect(page.locator("table.log")).to_contain_text("CreateItem")
    # EWS_INSPECTOR_SCREENSHOTS=docs/images refreshes the README's pictures
    shots = Path(os.environ.get("EWS_INSPECTOR_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(shots / "inspector.png"), full_page=True)
    assert (shots / "inspector.png").stat().st_size > 10_000

    # the meeting's story across both mailboxes: request, proposal, answer received
    meetings.get_by_role("link", name="Lunch").click()
    story = page.locator("table.story")
    expect(story).to_contain_text("New Time Proposed: Lunch")
    answer = story.locator("tr", has_text="New Time Proposed: Lunch").filter(has_text="Inbox")
    expect(answer).to_contain_text("Alex Wilber")
    expect(answer).to_contain_text("Tentative, proposed 2031-06-04 12:00–13:00 UTC")
    kinds = story.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert kinds.index("CalendarItem") < kinds.index("MeetingRequest") < kinds.index("MeetingResponse")
    page.screenshot(path=str(shots / "inspector-meeting.png"), full_page=True)

    # the proposal itself, as EWS XML
    answer.get_by_role("link", name="New Time Proposed: Lunch").click()
    expect(page.locator("h1")).to_have_text("New Time Proposed: Lunch")
    xml = page.locator("pre.xml")
    expect(xml).to_contain_text("<t:ProposedStart>2031-06-04T12:00:00Z</t:ProposedStart>")
    expect(xml).to_contain_text("<t:ResponseType>Tentative</t:ResponseType>")


def test_the_page_updates_without_a_reload(ews_emulator, page):
    from playwright.sync_api import expect

    page.goto(ews_emulator.inspector_url)
    expect(page.locator("section.live").nth(1)).to_contain_text("No meetings yet.")
    page.evaluate("window.loadedOnce = 'yes'")
    lunch_with_a_proposal(ews_emulator, subject="Late lunch")
    expect(page.locator("table.meetings")).to_contain_text("Late lunch", timeout=10_000)
    expect(page.locator("table.meetings")).to_contain_text("(new time proposed)")
    assert page.evaluate("window.loadedOnce") == "yes"  # same document: no reload


def test_a_request_s_bodies_are_shown_and_credentials_never(ews_emulator, page):
    from playwright.sync_api import expect

    lunch_with_a_proposal(ews_emulator)
    page.goto(ews_emulator.inspector_url + "log")
    row = page.locator("table.log tr", has_text="CreateItem").filter(has_text="AdeleV@contoso.com")
    row.get_by_role("link", name="CreateItem").click()
    request, response = page.locator("pre.xml").all()
    expect(request).to_contain_text("<t:ProposedStart>2031-06-04T12:00:00Z</t:ProposedStart>")
    expect(response).to_contain_text('ResponseClass="Success"')
    html = page.content()
    for secret in ("adele-demo-pw", "alex-demo-pw", "Authorization", "Basic "):
        assert secret not in html


# --- over HTTP ------------------------------------------------------------------------

def test_the_story_goes_on_after_the_organizer_moves_the_meeting(ews_emulator):
    lunch_with_a_proposal(ews_emulator)
    alex = ews_emulator.exchangelib_account("AlexW@contoso.com")
    (meeting,) = list(alex.calendar.all())
    meeting.start, meeting.end = START + dt.timedelta(days=1), START + dt.timedelta(days=1, hours=1)
    meeting.save(send_meeting_invitations="SendToAllAndSaveCopy")
    index = requests.get(ews_emulator.inspector_url, timeout=30).text
    uid = re.search(r'meeting\?uid=([^"]+)"', index).group(1)
    story = requests.get(ews_emulator.inspector_url + f"fragment/meeting?uid={uid}", timeout=30).text
    rows = re.findall(r"<tr>(.*?)</tr>", story)
    updates = [r for r in rows if "updated time" in r]
    assert any("Adele Vance" in r and "Inbox" in r and "2031-06-04 12:00" in r for r in updates)
    assert "No response received" in requests.get(ews_emulator.inspector_url, timeout=30).text


def test_two_organizers_meetings_with_one_uid_are_two_meetings(ews_emulator):
    # Anyone may choose a meeting's UID: Megan reusing the UID of Alex's meeting makes a
    # meeting of her own, listed and told apart from his.
    lunch_with_a_proposal(ews_emulator)
    alex = ews_emulator.exchangelib_account("AlexW@contoso.com")
    megan = ews_emulator.exchangelib_account("MeganB@contoso.com")
    (lunch,) = list(alex.calendar.all())
    CalendarItem(account=megan, folder=megan.calendar, subject="Megan's own", start=START,
                 end=START + dt.timedelta(hours=1), uid=lunch.uid,
                 required_attendees=[Attendee(mailbox=Mailbox(email_address="AdeleV@contoso.com"))],
                 ).save(send_meeting_invitations="SendToAllAndSaveCopy")
    index = requests.get(ews_emulator.inspector_url, timeout=30).text
    links = dict((html.unescape(href), html.unescape(subject)) for href, subject in
                 re.findall(r'<a href="(/inspector/meeting\?[^"]+)">([^<]*)</a>', index))
    assert sorted(links.values()) == ["Lunch", "Megan's own"], links
    for href, subject in links.items():
        story = requests.get(ews_emulator.inspector_url.rstrip("/").removesuffix("/inspector")
                             + href.replace("/inspector/meeting", "/inspector/fragment/meeting"), timeout=30).text
        rows = re.findall(r"<tr>(.*?)</tr>", story)[1:]  # past the header
        assert rows
        mailboxes = {re.search(r"smtp=([^\"&]+)", r).group(1) for r in rows}
        if subject == "Lunch":  # Alex's meeting: his items and Adele's answer, nothing of Megan's
            assert "MeganB%40contoso.com" not in mailboxes and "AlexW%40contoso.com" in mailboxes
            assert any("new time proposed" in r.lower() or "Tentative" in r for r in rows)
        else:  # Megan's: her item and Adele's request, nothing in Alex's mailbox
            assert "AlexW%40contoso.com" not in mailboxes and "MeganB%40contoso.com" in mailboxes


def test_subjects_are_escaped(ews_emulator):
    lunch_with_a_proposal(ews_emulator, subject="<script>alert(1)</script>")
    html = requests.get(ews_emulator.inspector_url, timeout=30).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_inspector_only_reads(ews_emulator):
    answer = requests.post(ews_emulator.inspector_url, data=b"x", timeout=30)
    assert answer.status_code == 405
    assert requests.get(ews_emulator.inspector_url + "item?id=nope", timeout=30).status_code == 404
    assert requests.get(ews_emulator.inspector_url + "mailbox?smtp=nobody@contoso.com", timeout=30).status_code == 404
    assert requests.get(ews_emulator.inspector_url + "fragment/log?self=1", timeout=30).status_code == 200


def test_off_loopback_it_asks_for_a_mailbox_s_credentials(ews_emulator):
    ews_emulator._server.inspector.open_access = False  # as on a non-loopback --host
    assert requests.get(ews_emulator.inspector_url, timeout=30).status_code == 401
    assert requests.get(ews_emulator.inspector_url, auth=("AlexW@contoso.com", "wrong"), timeout=30).status_code == 401
    answer = requests.get(ews_emulator.inspector_url, auth=("AlexW@contoso.com", "alex-demo-pw"), timeout=30)
    assert answer.status_code == 200 and "Adele Vance" in answer.text


def test_the_assets_are_served(ews_emulator):
    css = requests.get(ews_emulator.inspector_url + "assets/inspector.css", timeout=30)
    js = requests.get(ews_emulator.inspector_url + "assets/inspector.js", timeout=30)
    assert css.headers["Content-Type"].startswith("text/css") and b"table" in css.content
    assert js.headers["Content-Type"].startswith("text/javascript") and b"data-live" in js.content


def test_serve_prints_the_inspector_and_no_inspector_turns_it_off():
    with ServerProcess("--store", ":memory:") as server:
        base = server.endpoint.rsplit("/EWS/", 1)[0]
        assert f"Inspector: {base}/inspector/" in server.wait_output("Inspector:")
        assert requests.get(base + "/inspector/", timeout=30).status_code == 200
    with ServerProcess("--store", ":memory:", "--no-inspector") as server:
        base = server.endpoint.rsplit("/EWS/", 1)[0]
        server.wait_output("mailboxes (HTTP Basic)")
        assert "Inspector" not in server.output
        assert requests.get(base + "/inspector/", timeout=30).status_code == 404


def test_help_names_the_flag():
    run = subprocess.run([sys.executable, "-m", "ews_propose", "serve", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert re.search(r"--no-inspector", run.stdout)


def test_a_defect_in_a_page_is_a_500_and_the_emulator_goes_on(ews_emulator, monkeypatch):
    from ews_propose.inspector import pages

    def broken(self, **_):
        raise RuntimeError("a defect")

    monkeypatch.setattr(pages.Pages, "_mailboxes", broken)
    answer = requests.get(ews_emulator.inspector_url, timeout=30)
    assert answer.status_code == 500 and b"a defect" not in answer.content
    assert ews_emulator.soap("AlexW@contoso.com").find_items("inbox") is not None
