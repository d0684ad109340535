"""Where backups go and how many are kept, from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError
from storage.backup import Retention


def test_backups_go_beside_the_database_unless_a_folder_is_set() -> None:
    settings = Settings.from_env({"DATABASE_URL": "sqlite:////var/lib/gendan/gendan.db"})
    assert settings.backups() == Path("/var/lib/gendan/backups")
    assert settings.backups("sqlite:///other/x.db") == Path("other/backups")
    assert Settings.from_env({}).backups() == Path("backups")
    assert Settings.from_env({"DATABASE_URL": "postgresql://u@h/gendan"}).backups() == Path(
        "backups")
    assert Settings.from_env({"BACKUP_DIR": "/srv/backups"}).backups() == Path("/srv/backups")


def test_how_many_backups_are_kept() -> None:
    assert Settings.from_env({}).backup_keep == Retention(daily=7, weekly=4, monthly=12)
    assert Settings.from_env({"BACKUP_KEEP_DAILY": "14", "BACKUP_KEEP_WEEKLY": "0",
                              "BACKUP_KEEP_MONTHLY": "24"}).backup_keep == Retention(14, 0, 24)
    with pytest.raises(SettingsError, match="BACKUP_KEEP_WEEKLY: write how many weekly backups "
                                            "to keep, a whole number such as 4"):
        Settings.from_env({"BACKUP_KEEP_WEEKLY": "four"})
