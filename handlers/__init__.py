"""The Telegram adapter: updates become commands, results become text and keyboards."""
