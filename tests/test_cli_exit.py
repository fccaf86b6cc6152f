"""The console script's exit (`newsfacts.cli.main`): every exit handler runs, the exit status and the output
survive, and the interpreter's teardown is skipped only when the command ended by exiting."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import atexit, sys
    from pathlib import Path
    import newsfacts.cli as cli

    out = Path(sys.argv[1])

    class Teardown:  # a module global's finaliser runs only in the interpreter's teardown
        def __del__(self):
            with out.open("a") as f:
                f.write("teardown\\n")

    keep = Teardown()

    def command():
        atexit.register(lambda: out.open("a").write("handler\\n"))  # like Prefect's, registered after main's
        print("summary", end="")  # left in the buffer, not yet written
        if sys.argv[2] == "raise":
            raise RuntimeError("boom")
        sys.exit(int(sys.argv[2]))

    cli.app = command
    cli.main()
    """
)


def _run(tmp_path: Path, how: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    out = tmp_path / f"events-{how}.txt"
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), how], capture_output=True, text=True, timeout=120
    )
    return result, out.read_text().splitlines() if out.exists() else []


@pytest.mark.parametrize("status", [0, 3, 130])
def test_an_exiting_command_keeps_its_status_and_output_and_skips_the_teardown(tmp_path: Path, status: int):
    result, events = _run(tmp_path, str(status))
    assert result.returncode == status, result.stderr
    assert result.stdout == "summary"
    assert events == ["handler"]  # the later-registered exit handler ran; the finaliser of the teardown did not


def test_an_uncaught_exception_gets_the_usual_teardown(tmp_path: Path):
    result, events = _run(tmp_path, "raise")
    assert result.returncode == 1
    assert "RuntimeError: boom" in result.stderr
    assert events == ["handler", "teardown"]
