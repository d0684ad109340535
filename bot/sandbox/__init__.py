"""Offline stand-ins for Telegram, so the bot can run and be tested without a real token."""
