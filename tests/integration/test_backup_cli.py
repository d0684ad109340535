"""`gendan backup`, `gendan restore` and `gendan migrate-data` as a person types them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from tests.integration import every_table

ROWS = sum(len(rows) for rows in every_table.ROWS.values())
TABLES = len(every_table.ROWS) + 1  # and the schema's version


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = asyncio.run(every_table.fill(f"sqlite:///{tmp_path}/gendan.db"))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("BACKUP_DIR", raising=False)
    return url


def test_backup_then_restore_into_an_empty_database(company: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup"]) == 0
    written = capsys.readouterr().out
    (backup,) = (tmp_path / "backups").iterdir()  # beside the database
    assert written.startswith(f"{backup}: ") and f", {TABLES} tables, {ROWS + 1} rows, checked" in written
    assert "removed 0 older backups (keeping 7 daily, 4 weekly, 12 monthly)" in written

    assert main(["restore", str(backup)]) == 2  # the company's own database has data
    assert "is not empty" in capsys.readouterr().err
    restored = f"sqlite:///{tmp_path}/restored.db"
    assert main(["restore", str(backup), "--db", restored]) == 0
    assert f"{TABLES} tables, {ROWS + 1} rows, checked against the backup" in (
        capsys.readouterr().out)


def test_backup_to_another_folder_and_of_another_database(company: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    assert main(["backup", "--db", company, "--to", str(tmp_path / "elsewhere")]) == 0
    assert [p.suffix for p in (tmp_path / "elsewhere").iterdir()] == [".sqlite3"]
    assert main(["backup", "--db", "redis://localhost/0"]) == 2
    assert capsys.readouterr().err.startswith(
        "gendan backup: redis: not a database Gendan knows; write sqlite:///")


def test_migrate_data_prints_every_table_counted(company: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = f"sqlite:///{tmp_path}/moved.db"
    assert main(["migrate-data", "--from", company, "--to", target]) == 0
    out = capsys.readouterr().out
    assert "people\t2\n" in out and "outbox\t1\n" in out
    assert out.rstrip().endswith(f"copied {ROWS} rows into {target}; every table counted on both "
                                 "sides")
    assert main(["migrate-data", "--from", company, "--to", target]) == 2
    assert "already holds data" in capsys.readouterr().err
