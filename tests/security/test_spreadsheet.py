"""CSV exports never carry a formula into a spreadsheet (CSV injection), and a re-import gets the text back."""

from __future__ import annotations

import csv
import io

import pytest

from mediation_svc.security.spreadsheet import neutralise, restore
from tests.rosters.conftest import mediator_payload


@pytest.mark.parametrize("cell, exported", [
    ("=HYPERLINK(\"http://evil\",\"点我\")", "'=HYPERLINK(\"http://evil\",\"点我\")"), ("+86 138", "'+86 138"),
    ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("-12.50", "-12.50"), ("+3", "+3"), ("陈秀兰", "陈秀兰"), (42, 42), ("", ""),
])
def test_cells_on_plain_values(cell, exported):
    assert neutralise(cell) == exported
    if isinstance(cell, str):
        assert restore(neutralise(cell)) == cell


def test_roster_export_neutralises_a_formula_in_a_name_and_reimports_it(client, make_user, auth):
    officer = make_user("case_officer")
    r = client.post("/api/v1/mediators", headers=auth(officer),
                    json=mediator_payload(1, name="=HYPERLINK(\"http://evil.example\",\"调解员\")"))
    assert r.status_code == 201, r.text
    exported = client.get("/api/v1/rosters/mediators.csv", headers=auth(officer))
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    names = [cell for row in rows[1:] for cell in row if "HYPERLINK" in cell]
    assert names == ["'=HYPERLINK(\"http://evil.example\",\"调解员\")"]
    again = client.post("/api/v1/rosters/mediators.csv", headers=auth(officer),
                        files={"file": ("r.csv", exported.content, "text/csv")})
    assert again.status_code == 200, again.text
    listed = client.get("/api/v1/mediators", headers=auth(officer)).json()
    assert listed[0]["name"] == "=HYPERLINK(\"http://evil.example\",\"调解员\")"


def test_statistics_csv_neutralises_a_category_name(client, make_user, make_case, auth):
    officer = make_user("case_officer")
    r = client.put("/api/v1/case-categories/insurance_claim", headers=auth(officer),
                   json={"code": "insurance_claim", "name_zh": "@SUM(1+1)", "name_en": "=1+1", "active": True})
    assert r.status_code == 200, r.text
    make_case(officer=officer)
    r = client.get("/api/v1/statistics/by_category.csv", headers=auth(officer))
    assert r.status_code == 200, r.text
    text = r.content.decode("utf-8-sig")
    assert "'@SUM(1+1)" in text and "\n@SUM" not in text and ",@SUM" not in text
