"""The process: settings, CLI, app factory, ticks and the sandbox."""

import os

# RetryAfter.retry_after as a timedelta, as the next PTB major version will have it; without
# this, reading it warns on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "1")
