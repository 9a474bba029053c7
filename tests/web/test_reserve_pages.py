"""HR's pages through the real application: the competence reserve (heat map with the
number in every cell, filters, the gap and the trend with its table), drilling from a cell
to the people, who holds a competence with CSV and XLSX exports; for HR only."""

from __future__ import annotations

import io
import re
from typing import Any

from tests.web.conftest import Org, signed_in
from tests.web.test_public_pages import BROWSER, Example, award, page, text_of


def test_the_heat_map_shows_each_team_against_each_target(
    web_app: Any, acme: Org, provider: Any
) -> None:
    example = Example(acme.token, acme.token)
    helena = signed_in(web_app, acme, provider, "helena")
    for person in ("E1003", "E1004"):
        award(helena, example, "data-protection", person)
    html = page(helena, "/o/acme/hr/reserve")
    words = text_of(html)
    assert "Trainers" in words and "Management" in words  # in the page's language
    row = html.split('<th scope="row">4.2 ', 1)[1].split("</tr>", 1)[0]
    cell = re.search(
        r'<td class="heat-(\d)( heat-below)?"><a href="([^"]+team=kouluttajat[^"]*)">(\d+) %', row
    )
    assert cell is not None, row
    # two of the six trainers (Mikko supervises and is a member): 33 %, under 90 %
    assert cell.group(2) == " heat-below" and cell.group(4) == "33"
    assert '<span class="hint">2/6</span>' in row.split(cell.group(3), 1)[1]
    assert "more people needed" in words  # the organisation's gap
    assert html.count('<svg class="trend"') >= 3
    assert '<details class="data">' in html and "Show the numbers" in words
    only = page(helena, "/o/acme/hr/reserve?q=4.2")
    assert only.count('<th scope="row">') == 1
    one_team = page(helena, "/o/acme/hr/reserve?team=kouluttajat")
    assert "Management \u2013 Johto</th>" not in one_team
    page(helena, "/o/acme/hr/reserve?team=nowhere", status=400)

    people = text_of(page(helena, cell.group(3).replace("&amp;", "&")))
    assert "Aino Virtanen" in people and "Juha Nieminen" in people
    assert "Helena Korhonen" not in people.split("Download XLSX", 1)[1]


def test_who_holds_a_competence_with_exports(web_app: Any, acme: Org, provider: Any) -> None:
    from openpyxl import load_workbook

    example = Example(acme.token, acme.token)
    helena = signed_in(web_app, acme, provider, "helena")
    award(helena, example, "data-protection", "E1003")
    choices = page(helena, "/o/acme/hr/holders?competence=data")
    assert "Which competence?" in text_of(choices) or "Download CSV" in text_of(choices)
    query = "competence=digcomp22:4.2&level=3&team=kouluttajat"
    listing = text_of(page(helena, f"/o/acme/hr/holders?{query}"))
    assert "Aino Virtanen" in listing and "E1003" in listing
    higher = page(helena, "/o/acme/hr/holders?competence=digcomp22:4.2&level=4")
    assert "Aino" not in text_of(higher)
    csv = helena.get(f"/o/acme/hr/holders.csv?{query}")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,employeeNumber") and len(lines) == 2 and "E1003" in lines[1]
    xlsx = helena.get(f"/o/acme/hr/holders.xlsx?{query}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "employeeNumber") and rows[1][1] == "E1003" and rows[1][7] == 3
    assert helena.get("/o/acme/hr/holders.pdf?" + query).status_code == 400
    page(helena, "/o/acme/hr/holders?competence=4.2&level=9", status=400)


def test_hr_pages_are_for_hr_only(web_app: Any, acme: Org, provider: Any) -> None:
    aino = signed_in(web_app, acme, provider)
    mikko = signed_in(web_app, acme, provider, "mikko")
    signed_out = web_app.test_client()
    for address in ("/o/acme/hr/reserve", "/o/acme/hr/holders", "/o/acme/hr/holders.csv"):
        answer = signed_out.get(address, headers={"Accept": BROWSER})
        assert answer.status_code == 303 and "/sign-in" in answer.headers["Location"]
        page(aino, address, status=403)
        page(mikko, address, status=403)
    helena = signed_in(web_app, acme, provider, "helena")
    nav = page(helena, "/o/acme/home").split('<main id="main"', 1)[0]
    assert "Competence reserve" in nav
    assert "Competence reserve" not in page(aino, "/o/acme/home").split('<main id="main"', 1)[0]
    # HR is no administrator: the API's admin actions stay closed to the HR person's page session
    assert helena.get("/api/v1/organisations").status_code in (401, 403)


def test_the_heat_map_shows_teams_a_page_at_a_time(
    web_app: Any, acme: Org, provider: Any, monkeypatch: Any
) -> None:
    from badgeservice.web import reserve_pages

    monkeypatch.setattr(reserve_pages, "TEAMS_PER_PAGE", 3)
    helena = signed_in(web_app, acme, provider, "helena")
    first = page(helena, "/o/acme/hr/reserve?below=1")
    head = first.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert head.count('<th scope="col">') == 1 + 3
    assert "Teams, page 1 of 2" in text_of(first)
    following = re.search(r'href="([^"]+teams_page=2[^"]*)">Next teams', first)
    assert following is not None and "below=1" in following.group(1)
    second = page(helena, following.group(1).replace("&amp;", "&"))
    head = second.split("<thead>", 1)[1].split("</thead>", 1)[0]
    # Teams by their (Finnish) names: Tietohallinto, "ICT support" on this English page, last.
    assert head.count('<th scope="col">') == 1 + 1 and "ICT support" in head
    assert "Previous teams" in text_of(second)
