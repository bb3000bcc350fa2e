"""Separate Python processes that each build the app and post to one endpoint, as gunicorn's workers do.

flask-limiter keeps one storage per process (and per ``limiter`` object, which every app of a process
shares), so two apps in one test process would count together whatever the storage: only separate
processes show whether a limit holds across web processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_SCRIPT = r"""
import json, sys, time
from marketplace.web.app import create_app
from marketplace.config import Settings

args = json.loads(sys.argv[1])
app = create_app(Settings(**args["settings"]))
client = app.test_client()
while time.time() < args["start_at"]:
    time.sleep(0.01)
codes = []
for _ in range(args["attempts"]):
    if args["kind"] == "json":
        resp = client.post(args["path"], json=args["body"], environ_base={"REMOTE_ADDR": args["addr"]})
    else:
        resp = client.post(args["path"], data=args["body"], environ_base={"REMOTE_ADDR": args["addr"]})
    codes.append(resp.status_code)
app.extensions["db"].dispose()
print(json.dumps(codes))
"""


def post_from_processes(settings: dict[str, Any], *, processes: int, attempts: int, path: str, body: dict[str, Any],
                        addr: str, kind: str = "json") -> list[list[int]]:
    """The status codes each of ``processes`` processes got for ``attempts`` POSTs, sent at the same moment."""
    start_at = time.time() + 4  # after every process has imported the app
    arg = json.dumps({"settings": settings, "attempts": attempts, "path": path, "body": body, "addr": addr,
                      "kind": kind, "start_at": start_at})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", _SCRIPT, arg], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(processes)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
