"""``mediation-svc verify FOLDER --json``: a court clerk's folder of files verified in one process, one JSON
object per file; and the console entry loads only the verifier for ``verify``."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from mediation_svc.cli import app
from mediation_svc.pki import hierarchy

from . import forgeries

runner = CliRunner()


def _folder(tmp_path, signed_lta, lookalike_signed):
    folder = tmp_path / "court-folder"
    folder.mkdir()
    (folder / "a-genuine.pdf").write_bytes(signed_lta)
    (folder / "b-tampered.PDF").write_bytes(forgeries.add_page(signed_lta))
    (folder / "c-lookalike.pdf").write_bytes(lookalike_signed)
    (folder / "d-notes.pdf").write_bytes(b"not a pdf at all")
    (folder / "readme.txt").write_text("not looked at")
    (folder / "sub").mkdir()
    (folder / "sub" / "e-nested.pdf").write_bytes(signed_lta)  # sub-folders are not entered
    return folder


def _trust(keys_dir) -> str:
    return str(keys_dir / f"{hierarchy.ROOT}.crt.pem")


def test_folder_json_gives_one_report_per_pdf(tmp_path, keys_dir, signed_lta, lookalike_signed):
    folder = _folder(tmp_path, signed_lta, lookalike_signed)
    result = runner.invoke(app, ["verify", str(folder), "--json", "--trust", _trust(keys_dir)])
    lines = result.output.strip().splitlines()
    reports = [json.loads(line) for line in lines]
    assert [r["file_name"] for r in reports] == ["a-genuine.pdf", "b-tampered.PDF", "c-lookalike.pdf", "d-notes.pdf"]
    genuine, tampered, lookalike, notes = reports
    assert genuine["indication"] == "TOTAL_PASSED" and len(genuine["signatures"]) == 5
    assert tampered["indication"] == "TOTAL_FAILED" and tampered["sub_indication"] == "FORMAT_FAILURE"
    assert any("page tree" in e for s in tampered["signatures"] for e in s["errors"])
    assert lookalike["indication"] == "INDETERMINATE"
    assert "error" in notes and "indication" not in notes
    assert result.exit_code == 1  # a failed file is the folder's verdict


def test_folder_text_and_exit_status(tmp_path, keys_dir, signed_lta, lookalike_signed):
    folder = tmp_path / "passing"
    folder.mkdir()
    (folder / "one.pdf").write_bytes(signed_lta)
    (folder / "two.pdf").write_bytes(signed_lta)
    result = runner.invoke(app, ["verify", str(folder), "--trust", _trust(keys_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{name}: TOTAL_PASSED: every signature is valid and the document is "
                                          f"unchanged since signing (4 signature(s), 1 document timestamp(s))"
                                          for name in ("one.pdf", "two.pdf")]
    (folder / "three.pdf").write_bytes(lookalike_signed)
    assert runner.invoke(app, ["verify", str(folder), "--trust", _trust(keys_dir)]).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(app, ["verify", str(empty), "--json", "--trust", _trust(keys_dir)]).exit_code == 3


def test_console_entry_loads_only_the_verifier(tmp_path, keys_dir, signed_lta):
    path = tmp_path / "file.pdf"
    path.write_bytes(signed_lta)
    heavy = ("sqlalchemy", "sqlmodel", "fastapi", "weasyprint", "mediation_svc.signing.pades", "PIL")
    script = ("import atexit, sys\n"
              f"atexit.register(lambda: print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr))\n"
              f"sys.argv = ['mediation-svc', 'verify', {str(path)!r}, '--json', '--trust', {_trust(keys_dir)!r}]\n"
              "from mediation_svc.cli import main\n"
              "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["indication"] == "TOTAL_PASSED"
    assert done.stderr.strip().splitlines()[-1] == "[]"
