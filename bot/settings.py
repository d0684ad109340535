"""Settings from the environment; nothing else reads os.environ."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from storage.backup import Retention, default_directory
from storage.db import DEFAULT_DATABASE_URL


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    bot_api_url: str | None = None  # another Bot API server, e.g. a self-hosted one
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0:8443"
    policy_file: str | None = None
    sandbox_port: int = 0
    log_level: str = "INFO"
    # How long a message is retried while Telegram cannot be reached, before it is given up.
    outbox_retry_budget: timedelta = timedelta(hours=24)
    # Seconds to wait for Telegram's answer to a send.
    send_timeout: float = 20.0
    # How long work a process holds (messages it sends, the long poll) stays its own without
    # being renewed: a process that dies hands it over to another after this.
    lease: timedelta = timedelta(seconds=60)
    # Where backups go; None: `backups/` beside a SQLite database's file (or in the working
    # directory for PostgreSQL).
    backup_dir: str | None = None
    backup_keep: Retention = Retention()
    # Where the web pages are served ("off": not at all), and the address people open them
    # at: behind a reverse proxy, its https:// address (docs/operations.md).
    web_listen: str = "127.0.0.1:8080"
    web_url: str = "http://127.0.0.1:8080"
    # "telegram" or "dingtalk" (docs/dingtalk.md).
    transport: str = "telegram"
    dingtalk_client_id: str | None = None
    dingtalk_client_secret: str | None = None
    dingtalk_api_url: str = "https://api.dingtalk.com"
    dingtalk_oapi_url: str = "https://oapi.dingtalk.com"
    dingtalk_card_template: str | None = None
    # Administrators on DingTalk, by staff id (ADMIN_IDS holds Telegram's numbers).
    dingtalk_admins: tuple[str, ...] = ()

    @property
    def sandbox(self) -> bool:
        if self.transport == "dingtalk":
            return not self.dingtalk_client_id
        return not self.bot_token

    def backups(self, database_url: str | None = None) -> Path:
        """The backup folder for this database (or another one named on the command line)."""
        if self.backup_dir:
            return Path(self.backup_dir)
        return default_directory(database_url or self.database_url)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            admin_ids = frozenset(
                int(part) for part in env.get("ADMIN_IDS", "").replace(";", ",").split(",")
                if part.strip()
            )
        except ValueError as exc:
            raise SettingsError(
                "ADMIN_IDS: write Telegram user ids separated by commas, e.g. 1234,5678"
            ) from exc
        try:
            sandbox_port = int(env.get("SANDBOX_PORT", "0"))
        except ValueError as exc:
            raise SettingsError("SANDBOX_PORT: write a port number, e.g. 8081") from exc
        try:
            budget = timedelta(hours=float(env.get("OUTBOX_RETRY_HOURS", "24")))
            send_timeout = float(env.get("SEND_TIMEOUT", "20"))
            lease = timedelta(seconds=float(env.get("LEASE_SECONDS", "60")))
        except ValueError as exc:
            raise SettingsError("OUTBOX_RETRY_HOURS, SEND_TIMEOUT and LEASE_SECONDS: write "
                                "numbers, e.g. 24, 20 and 60") from exc
        if budget <= timedelta(0) or send_timeout <= 0 or lease < timedelta(seconds=1):
            raise SettingsError("OUTBOX_RETRY_HOURS and SEND_TIMEOUT must be more than 0, "
                                "LEASE_SECONDS at least 1")
        keep = _retention(env)
        web_listen = env.get("WEB_LISTEN", "127.0.0.1:8080").strip()
        if web_listen != "off" and not _address(web_listen):
            raise SettingsError("WEB_LISTEN: write host:port, e.g. 127.0.0.1:8080, or off")
        web_url = env.get("WEB_URL") or (f"http://{web_listen}" if web_listen != "off"
                                         else "http://127.0.0.1:8080")
        if not web_url.startswith(("http://", "https://")):
            raise SettingsError("WEB_URL: write the address people open the pages at, "
                                "e.g. https://gendan.example.com")
        webhook_url = env.get("WEBHOOK_URL") or None
        secret = env.get("WEBHOOK_SECRET") or None
        if webhook_url and not secret:
            raise SettingsError(
                "WEBHOOK_SECRET: a webhook needs a secret token (1-256 of A-Z a-z 0-9 _ -)"
            )
        transport = env.get("GENDAN_TRANSPORT", "telegram").strip().lower() or "telegram"
        if transport not in ("telegram", "dingtalk"):
            raise SettingsError("GENDAN_TRANSPORT: write telegram or dingtalk")
        client_id = env.get("DINGTALK_CLIENT_ID") or None
        client_secret = env.get("DINGTALK_CLIENT_SECRET") or None
        if transport == "dingtalk" and bool(client_id) != bool(client_secret):
            raise SettingsError("DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET: give both (the "
                                "app's Client ID and Client Secret), or neither for the sandbox")
        return cls(
            transport=transport,
            dingtalk_client_id=client_id,
            dingtalk_client_secret=client_secret,
            dingtalk_api_url=env.get("DINGTALK_API_URL") or "https://api.dingtalk.com",
            dingtalk_oapi_url=env.get("DINGTALK_OAPI_URL") or "https://oapi.dingtalk.com",
            dingtalk_card_template=env.get("DINGTALK_CARD_TEMPLATE") or None,
            dingtalk_admins=tuple(part.strip() for part in
                                  env.get("DINGTALK_ADMINS", "").replace(";", ",").split(",")
                                  if part.strip()),
            bot_token=env.get("BOT_TOKEN") or None,
            bot_api_url=env.get("BOT_API_URL") or None,
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            admin_ids=admin_ids,
            webhook_url=webhook_url,
            webhook_secret=secret,
            webhook_listen=env.get("WEBHOOK_LISTEN", "0.0.0.0:8443"),
            policy_file=env.get("POLICY_FILE") or None,
            sandbox_port=sandbox_port,
            log_level=env.get("LOG_LEVEL", "INFO"),
            outbox_retry_budget=budget,
            send_timeout=send_timeout,
            lease=lease,
            backup_dir=env.get("BACKUP_DIR") or None,
            backup_keep=keep,
            web_listen=web_listen,
            web_url=web_url,
        )


def _address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        return None
    return host, int(port)


def listen_address(text: str) -> tuple[str, int]:
    """host and port of a checked WEB_LISTEN (or WEBHOOK_LISTEN) value."""
    found = _address(text)
    if found is None:
        raise SettingsError(f"{text!r}: write host:port, e.g. 127.0.0.1:8080")
    return found


def _retention(env: Mapping[str, str]) -> Retention:
    counts = {}
    for rule, default in (("daily", 7), ("weekly", 4), ("monthly", 12)):
        name = f"BACKUP_KEEP_{rule.upper()}"
        value = env.get(name, "").strip() or str(default)
        if not value.isdigit():
            raise SettingsError(f"{name}: write how many {rule} backups to keep, a whole "
                                f"number such as {default} (0 keeps none of them)")
        counts[rule] = int(value)
    return Retention(**counts)
