"""A task for the worker tests alone: it notes each attempt in a folder, and the first one waits to be killed."""

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def note_attempts(folder: str) -> int:
    """Write attempt-N (holding this process's id) for each run; the first run then sleeps long enough to be killed
    mid-task, a later one returns at once. Returns the attempt's number."""
    attempts = len(list(Path(folder).glob("attempt-*"))) + 1
    (Path(folder) / f"attempt-{attempts}").write_text(str(os.getpid()))
    if attempts == 1:
        time.sleep(120)
    return attempts
