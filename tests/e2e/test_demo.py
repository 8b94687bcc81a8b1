"""``make demo KEEP=1`` (``python -m demo.run --keep``): the whole demo, then the stack stays up.

The demo prints the review page's address; with ``--keep`` that page (and the
job's data behind it) answers until the demo gets Ctrl-C, which stops every service.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from emocore.settings import REPO_ROOT

pytestmark = pytest.mark.slow


def test_demo_prints_the_review_page_and_keeps_the_stack_until_ctrl_c() -> None:
    out = REPO_ROOT / "build" / "test-demo"
    command = [sys.executable, "-m", "demo.run", "--keep", "--out", str(out)]
    demo = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert demo.stdout is not None
        printed = []
        deadline = time.monotonic() + 600
        while not any("stays up until Ctrl-C" in line for line in printed):
            line = demo.stdout.readline()
            assert line and time.monotonic() < deadline, "".join(printed)
            printed.append(line)
        text = "".join(printed)
        match = re.search(r"review page: (http://127\.0\.0\.1:\d+)/ui/videos/([0-9a-f]{32})", text)
        assert match, text
        gateway, job_id = match.groups()
        time.sleep(2)  # still up after the job
        page = httpx.get(f"{gateway}/ui/videos/{job_id}")
        assert page.status_code == 200 and 'id="strip"' in page.text
        status = httpx.get(f"{gateway}/v1/videos/{job_id}").json()
        assert status["status"] == "done" and len(status["result"]["shots"]) == 4
        assert httpx.get(f"{gateway}/v1/videos/{job_id}/shots/0/thumbnail.jpg").status_code == 200

        demo.send_signal(signal.SIGINT)  # Ctrl-C
        assert demo.wait(timeout=60) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{gateway}/health/live", timeout=2)
    finally:
        if demo.poll() is None:  # a failure above: Ctrl-C, so the demo stops its services too
            demo.send_signal(signal.SIGINT)
            try:
                demo.wait(timeout=60)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
