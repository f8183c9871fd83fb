"""Issue 19: hostile files through `nhacviec import` (a real process, each file read in the
time- and memory-limited parse worker): 0 tracebacks, one Vietnamese line per refusal,
and a full `nhacviec export` before and after the refused batch is identical.

A representative subset of tests/hostile.py (one or two per class, the heavy bombs
included); bench/hostile.py runs all 209 files and prints time and memory per class.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.db.test_cli import PHU_THO, run
from tests.hostile import corpus

REFUSED = {
    "cat50.docx", "span-gridSpan-100000.docx", "span-gridBefore-200000.docx", "lenh-60kb.pdf", "khoa.pdf",
    "scan.pdf", "700-trang.pdf", "bom-xml.docx", "bom-luong.pdf", "dung-20mb.txt",
}
IMPORTED = {"tieu-de-1.docx", "utf16le.txt", "1000-nhiem-vu.txt", "cung-ten-6-co-quan.txt"}


def _export(db_url: str, tmp_path: Path, name: str) -> dict:
    result = run("export", str(tmp_path / name), db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads((tmp_path / name).read_text(encoding="utf-8"))["tables"]


def test_refused_hostile_files_leave_the_database_as_it_was(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'nhacviec.db'}"
    assert run("import", str(PHU_THO), db_url=db_url, cwd=tmp_path).returncode == 0
    files = {f.name: f for f in corpus() if f.name in REFUSED | IMPORTED}
    assert set(files) == REFUSED | IMPORTED
    folder = tmp_path / "files"
    folder.mkdir()
    for f in files.values():
        (folder / f.name).write_bytes(f.data)

    before = _export(db_url, tmp_path, "before.json")
    refused = run("import", *(str(folder / n) for n in sorted(REFUSED)), db_url=db_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr + refused.stdout
    lines = [line for line in refused.stderr.splitlines() if line.strip()]
    assert sorted(line.split(":", 1)[0].removeprefix("✗ ") for line in lines) == sorted(REFUSED), lines
    for line in lines:  # one line each: the file name, then the Vietnamese reason
        assert line.startswith("✗ ") and len(line) < 400
        assert any(ch in line for ch in "ệạảđơưộấ"), line
    assert "✓" not in refused.stdout
    assert _export(db_url, tmp_path, "after.json") == before

    imported = run("import", *(str(folder / n) for n in sorted(IMPORTED)), db_url=db_url, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.count("✓") == len(IMPORTED)
    # Nothing silently dropped: every numbered row, and one task per agency for one title.
    assert "1000-nhiem-vu.txt: Đã nhập Kế hoạch 508/KH-UBND: 1000 nhiệm vụ" in imported.stdout
    assert "cung-ten-6-co-quan.txt: Đã nhập Kế hoạch 511/KH-UBND: 6 nhiệm vụ" in imported.stdout
    assert _export(db_url, tmp_path, "later.json") != before
