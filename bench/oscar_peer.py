"""The django-oscar peer (``../shared/peers/oscar``), run beside ours by ``--peer`` (issue #15).

The kit is only *run*, never copied: its own ``setup.sh`` (idempotent: venv, migrate, catalogue, search
index, all under ``$PEER_HOME``), ``serve.sh`` on a free port (2 sync workers, as ours), its own
``workload.sh`` for the ``bare-ok`` (bare Django) and ``basket`` rows (alternately ``POST /basket/add/<id>/``
with the form's CSRF token, answered by a 302, and ``GET /basket/``, over a pool of 128 baskets made
just before), then ``stop.sh``. On PostgreSQL (``PEER_DB=postgres``) at ``127.0.0.1:5432`` as user
``postgres`` unless the ``PG*`` variables say otherwise; database ``peer_oscar`` (``PGDATABASE``).

Where the kit is: ``PEER_OSCAR_DIR``, else ``shared/peers/oscar`` beside the repository or one level up
(a worktree under ``/work/wt``). ``PEER_HOME`` defaults to ``/tmp/peer-oscar-bench``.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness import ROOT, free_port


@dataclass
class PeerResult:
    """One ``workload.sh`` row: req/s, latency percentiles (ms), non-2xx, socket errors."""

    endpoint: str
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    def as_dict(self) -> dict[str, float | int | str]:
        return dict(self.__dict__)


def kit_dir() -> Path:
    candidates = [os.environ.get("PEER_OSCAR_DIR", ""), ROOT.parent / "shared/peers/oscar",
                  ROOT.parent.parent / "shared/peers/oscar"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "workload.sh").exists():
            return Path(candidate)
    raise SystemExit("--peer: the django-oscar kit was not found (set PEER_OSCAR_DIR)")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PEER_HOME", "/tmp/peer-oscar-bench")
    env.setdefault("PEER_DB", "postgres")
    env.setdefault("PGHOST", "127.0.0.1")
    env.setdefault("PGPORT", "5432")
    env.setdefault("PGUSER", "postgres")
    # Our own variables must not leak into Django's process (it reads none of them, but be plain).
    for name in ("DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def basket(*, duration: int = 10, warmup: int = 2, connections: int = 16, log: Path | None = None) -> dict[str, PeerResult]:
    """Set the peer up, serve it, run its ``bare-ok`` and ``basket`` rows, stop it; rows by endpoint."""
    kit, env = kit_dir(), _env()
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        subprocess.run(["./setup.sh"], cwd=kit, env=env, check=True, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603,S607
        port, bare_port = free_port(), free_port()
        subprocess.run(["./serve.sh", str(port)], cwd=kit, env=env, check=True, stdout=out,  # noqa: S603,S607
                       stderr=subprocess.STDOUT)
        try:
            run = subprocess.run(  # noqa: S603,S607
                ["./workload.sh", f"http://127.0.0.1:{port}"], cwd=kit, check=True, capture_output=True, text=True,
                env={**env, "DURATION": str(duration), "WARMUP": str(warmup), "CONNS": str(connections),
                     "ENDPOINTS": "bare-ok basket", "BARE_PORT": str(bare_port)})
        finally:
            subprocess.run(["./stop.sh", str(port)], cwd=kit, env=env, check=False, stdout=out,  # noqa: S603,S607
                           stderr=subprocess.STDOUT)
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    kept = re.search(r"kept in (\S+)", run.stdout)
    if not kept:
        raise SystemExit(f"the peer's workload printed no results:\n{run.stdout}\n{run.stderr}")
    rows: dict[str, PeerResult] = {}
    with open(Path(kept.group(1)) / "results.csv") as f:
        for row in csv.DictReader(f):
            rows[row["endpoint"]] = PeerResult(
                endpoint=row["endpoint"], rps=float(row["req_per_s"]), p50_ms=float(row["p50_ms"]),
                p99_ms=float(row["p99_ms"]), non_2xx=int(row["non2xx"]), socket_errors=int(row["socket_errors"]))
    if "basket" not in rows or rows["basket"].rps <= 0:
        raise SystemExit(f"the peer's basket row is missing or empty:\n{run.stdout}")
    return rows
