"""``mediation-svc verify`` gives the same verdicts offline, with exit codes a script can use."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mediation_svc.cli import app
from mediation_svc.pki import hierarchy

from . import forgeries

runner = CliRunner()


def run(tmp_path, keys_dir, data: bytes, *extra: str):
    path = tmp_path / "file.pdf"
    path.write_bytes(data)
    return runner.invoke(app, ["verify", str(path), "--trust", str(keys_dir / f"{hierarchy.ROOT}.crt.pem"), *extra])


def test_genuine_file_passes_with_json_report(tmp_path, keys_dir, signed_lta):
    result = run(tmp_path, keys_dir, signed_lta, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["indication"] == "TOTAL_PASSED" and len(report["signatures"]) == 5
    assert report["registry"] is None  # offline: no registry


def test_forged_file_fails_with_readable_text(tmp_path, keys_dir, signed_lta):
    result = run(tmp_path, keys_dir, forgeries.add_page(signed_lta))
    assert result.exit_code == 1
    assert result.output.startswith("TOTAL_FAILED / FORMAT_FAILURE")
    assert "page tree" in result.output and "陈秀兰 申请人 440***************" in result.output


def test_lookalike_is_indeterminate_and_non_pdf_is_refused(tmp_path, keys_dir, lookalike_signed):
    assert run(tmp_path, keys_dir, lookalike_signed).exit_code == 2
    result = run(tmp_path, keys_dir, b"hello")
    assert result.exit_code == 3


def test_default_trust_anchor_comes_from_the_key_directory(tmp_path, keys_dir, signed_lta, monkeypatch):
    from mediation_svc.config import get_settings

    monkeypatch.setenv("MEDIATION_KEY_DIR", str(keys_dir))
    get_settings.cache_clear()
    try:
        path = tmp_path / "file.pdf"
        path.write_bytes(signed_lta)
        result = runner.invoke(app, ["verify", str(path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
