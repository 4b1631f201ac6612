"""The monthly report carries names from the database (institutions, the center): a name that reads as a formula
(CSV/XLSX injection) stays the text it is in both files."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from mediation_svc.db import unit_of_work
from mediation_svc.timeutil import today_in_shanghai

from .conftest import complaint_payload, make_institution

FORMULA = '=HYPERLINK("http://evil.example/x","点此查看")'


def test_an_institution_named_like_a_formula_stays_text_in_the_report(client, auth, engine, world):
    with unit_of_work(engine) as session:
        evil = make_institution(session, FORMULA, "91440101190479999")
    filed = client.post("/api/v1/contacts", headers=auth(world.officer), json=complaint_payload(evil))
    assert filed.status_code == 201, filed.text
    forwarded = client.post(f"/api/v1/complaints/{filed.json()['id']}/forward", headers=auth(world.officer), json={})
    assert forwarded.status_code == 200, forwarded.text
    month = today_in_shanghai().strftime("%Y-%m")

    text = client.get(f"/api/v1/complaint-reports/{month}.csv", headers=auth(world.officer)).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells

    xlsx = client.get(f"/api/v1/complaint-reports/{month}.xlsx", headers=auth(world.officer)).content
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any("<f>" in sheet or "<f " in sheet for sheet in sheets), "a cell became a formula"
    named = [cell for row in load_workbook(io.BytesIO(xlsx))["按机构"].iter_rows() for cell in row
             if cell.value == FORMULA]
    assert named and all(cell.data_type == "s" for cell in named)
