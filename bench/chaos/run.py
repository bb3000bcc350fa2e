"""``make chaos``: the whole system on this machine, real traffic, random faults, then the invariants.

    python -m bench.chaos.run [--duration 600] [--seed N] [--broker memory|postgres] [--buyers 4]
                              [--database-server postgresql://postgres@127.0.0.1:5432] [--database chaos]

1. ``topology``: a fresh PostgreSQL database, migrated; the broker, 2 web processes, 2 relays, 2 of
   each worker, the scheduler (``PAYOUT_HOLD_HOURS=0`` and ``ORDER_PAYMENT_TTL_MINUTES=2`` so payouts
   and expiries happen within the run);
2. ``load`` (and ``replay``): artisans, buyers and an admin over HTTP for ``--duration`` seconds,
   while ``faults`` plays its seeded schedule;
3. the drain: load stopped, every process back and running, the artisans ship and the buyers confirm
   what is left, then the harness waits until nothing is left to settle (``checks.drain``);
4. ``checks`` and ``report``: the table (Markdown) on the terminal, ``<out>/report.json``; exit 1 if an
   invariant broke, 2 if the run could not be set up.

The seed is printed; the same seed plays the same fault schedule (``report.json`` holds it).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.chaos import checks, faults, load, report  # noqa: E402
from bench.chaos.client import Counts, RoundRobin  # noqa: E402
from bench.chaos.replay import Replayer, harness_engine, terminate_backends  # noqa: E402
from bench.chaos.topology import Topology  # noqa: E402


def say(text: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make chaos", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=600.0, help="seconds of load and faults (default 600)")
    p.add_argument("--seed", type=int, default=None, help="fault schedule and load (default: random, printed)")
    p.add_argument("--broker", choices=("memory", "postgres"), default="memory")
    p.add_argument("--buyers", type=int, default=4, help="buyer threads (default 4)")
    p.add_argument("--drain", type=float, default=240.0, help="at most this many seconds of drain (default 240)")
    p.add_argument("--database-server", default="postgresql://postgres@127.0.0.1:5432")
    p.add_argument("--database", default="chaos", help="dropped and created again (default chaos)")
    p.add_argument("--out", default=str(ROOT / "var" / "chaos"), help="logs and report.json (default var/chaos)")
    return p.parse_args(argv)


def wait_ready(client: RoundRobin, ports: list[int], timeout: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:  # noqa: S310
                    if resp.status == 200:
                        break
            except Exception:  # noqa: BLE001, S110 - not yet
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"web on port {port} not ready within {timeout:.0f}s")
            time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))  # the finally below stops every process
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1_000_000)
    t_start = time.monotonic()
    out = Path(args.out) / f"{args.broker}-seed{seed}"
    say(f"seed {seed} (replay: --seed {seed}), broker {args.broker}, {args.duration:.0f} s, output in {out}")
    topo = Topology(out, server_url=args.database_server, database=args.database, broker=args.broker, root=ROOT)
    topo.env["ORDER_PAYMENT_TTL_MINUTES"] = "2"  # expiries within the run; slow payments under faults
    plan = faults.schedule(seed, args.duration, sorted(topo.procs))
    say(f"{len(plan)} faults planned: " + ", ".join(f"{f.at:.0f}s {f.kind} {f.target}".strip() for f in plan[:8])
        + (" …" if len(plan) > 8 else ""))
    try:
        topo.prepare(say)
        topo.start_all()
    except SystemExit as exc:
        topo.stop_all()
        say(f"could not start: {exc}")
        return 2
    watcher = threading.Thread(target=topo.watch, daemon=True)
    counts = Counts()
    client = RoundRobin(topo.web_ports, counts)
    engine = harness_engine(topo.database_url)
    world = load.World(client, seed)
    player = faults.FaultPlayer(topo, plan, terminate_backends(engine), say)
    replayer = Replayer(engine, client, topo.webhook_secret, topo.secret_key, seed)
    code = 1
    try:
        wait_ready(client, topo.web_ports)
        watcher.start()
        say("every process started; setting up the admin and the first shops")
        load.setup_admin(world, topo)
        rng = random.Random(f"chaos-setup-{seed}")
        for _ in range(3):
            load.open_shop(world, rng)
        load.admin_round(world, rng)
        say(f"load and faults for {args.duration:.0f} s")
        t_load = time.monotonic()
        actors = load.start_actors(world, seed, args.buyers)
        player.begin()
        replayer.thread.start()
        while time.monotonic() - t_load < args.duration:
            time.sleep(min(15, max(0.1, args.duration - (time.monotonic() - t_load))))
            say(f"{time.monotonic() - t_load:5.0f}s: {dict(world.counts.most_common(8))}, "
                f"{counts.requests} requests, {sum(counts.server_errors.values())} 5xx")
        say("load stopped; every process back; finishing the open orders")
        world.stop.set()
        replayer.stop.set()
        player.end()
        for thread in actors:
            thread.join(60)
        topo.resume_all()
        wait_ready(client, topo.web_ports)
        load.admin_round(world, random.Random(0))
        load.finish(world)
        drain_s, left = checks.drain(engine, args.drain, say)
        load.finish(world)  # payments that settled during the drain may have made more to ship
        more_s, left = checks.drain(engine, 60, say)
        drain_s += more_s
        found = checks.database_checks(engine, world.initial_stock, left)
        found.append(checks.ledger_check(topo))
        lag, one, pipeline = checks.pipeline_check(topo)
        notes, notified = checks.notification_check(engine, out / "var" / "mail")
        found += [notes, lag, one]
        meta = {"seed": seed, "broker": args.broker, "duration": args.duration, "drain_s": drain_s,
                "wall_s": time.monotonic() - t_start,
                "unexpected_exits": sum(len(p.unexpected_exits) for p in topo.procs.values()),
                "exits_by_process": {n: p.unexpected_exits for n, p in topo.procs.items() if p.unexpected_exits},
                "starts": {n: p.starts for n, p in topo.procs.items()}}
        clients = {"requests": counts.requests, "by_status": counts.by_status,
                   "server_errors": counts.server_errors, "connection_errors": counts.connection_errors,
                   "unanswered": counts.unanswered, "replays": replayer.sent}
        summary = player.summary()
        print(report.table(meta, found, summary, clients, dict(world.counts)), flush=True)
        report.write_json(out / "report.json", meta, found, summary, clients, dict(world.counts),
                          {"notifications": notified, "pipeline": pipeline, "refusals": world.samples})
        say(f"report: {out / 'report.json'}; seed {seed}; wall {time.monotonic() - t_start:.0f} s")
        code = 0 if all(c.held for c in found) else 1
    finally:
        world.stop.set()
        replayer.stop.set()
        topo.stop_all()
        engine.dispose()
    return code


if __name__ == "__main__":
    sys.exit(main())
