import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_sessionfinish(session, exitstatus):
    """Close the workers tests/helpers.py shares per assignment (their temporary homes go too)."""
    helpers = sys.modules.get("helpers")
    for entry in getattr(helpers, "_shared", {}).values():
        _, _, worker_session, ref, _ = entry
        worker_session.close()
        ref.close()
