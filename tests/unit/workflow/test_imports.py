"""Every workflow module imports on its own: a cycle (tasks -> escalation -> quality -> tasks)
must not depend on which module a program happens to import first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import workflow

ROOT = Path(workflow.__file__).parent
# Modules that import no service cannot close a cycle through one: they stay loaded (the
# parsers are slow to load again) and are not tried on their own.
LEAVES = ("workflow.parsing", "workflow.policy", "workflow.calendar", "workflow.model",
          "workflow.roles", "workflow.errors", "workflow.text")
MODULES = sorted(
    name for name in (".".join(("workflow", *path.relative_to(ROOT).with_suffix("").parts))
                      .removesuffix(".__init__") for path in ROOT.rglob("*.py"))
    if name != "workflow" and not name.startswith(LEAVES))

# One interpreter for all: each module is imported with the others forgotten.
SCRIPT = """
import importlib, sys
leaves = tuple(sys.argv[1].split(","))
for leaf in leaves:
    importlib.import_module(leaf)
failed = []
for name in sys.argv[2:]:
    # The package too: `from workflow import x` would find the old x on it.
    for loaded in [m for m in sys.modules if m == "workflow" or (
            m.startswith("workflow.") and not m.startswith(leaves))]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ImportError as error:
        failed.append(f"{name}: {error}")
print("\\n".join(failed))
"""


def test_each_workflow_module_imports_first() -> None:
    assert {"workflow.tasks", "workflow.orders", "workflow.orders.review"} <= set(MODULES)
    result = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(LEAVES), *MODULES],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
