"""Live pushes to open pages: a 双周通报 published to 1,000 connected sockets.

What runs, as deployed: ``--servers`` daphne processes (``project.asgi``, DEBUG off) on the bench
database and the Redis channel layer; one client process holding one websocket per user, each
authenticated by its own session cookie (users, memberships and sessions are bulk-created in the
bench database), so every socket joins its user's own group ``inbox.<user id>``. Each round
publishes a signed notice through ``services.notice_publish``: the notification rows are written
in the publishing transaction and pushed on commit through the channel layer, one group_send per
recipient. The clock starts just before the publish call; each socket's latency is the moment its
client read the notification (CLOCK_MONOTONIC, shared by the processes of one machine) minus that
start.

Also run as ``python -m bench.sockets --client``: the client process, which reads its targets as one
JSON line on stdin and answers one JSON line per request on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import queue
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MEMBERS_PER_UNIT = 2  # a liaison and a leader, as in a real unit
CONNECT_CONCURRENCY = 50  # handshakes in flight at once; each costs the server a session lookup
# channels-redis's default layer's default capacity, for the demonstration round: what that layer
# drops when a notice goes out, unless its capacity is raised.
DEFAULT_CAPACITY = 100
SETTINGS = "project.settings"  # the project's layer: channels-redis pub/sub
# The comparison: channels-redis's default layer, sorted sets polled with blocking pops
# (bench/core_settings.py for the servers and the publisher).
CORE_SETTINGS = "bench.core_settings"


@dataclass
class SocketRound:
    notice_id: int
    publish_s: float  # the notice_publish call, commit included (the pushes go on in the background)
    sent_s: float  # until the publishing process had handed the last push to Redis
    latencies_s: list[float]  # per socket that received it, sorted
    missing: int
    per_server: list[int] = field(default_factory=list)  # sockets served by each process that received it
    closed: int = 0  # sockets found closed by the end of the round (they cannot be told)

    @property
    def last_s(self) -> float:
        return self.latencies_s[-1] if self.latencies_s else float("nan")


@dataclass
class SocketsResult:
    sockets: int
    servers: int
    units: int
    capacity: int
    expiry: int
    connect_s: float
    rounds: list[SocketRound]
    server_rss_idle_kib: list[int]
    server_rss_kib: list[int]
    inbox_rows: int  # notification rows of the timed notices, checked against sockets × rounds
    demo_capacity: int | None = None
    demo: SocketRound | None = None
    core: list[SocketRound] | None = None

    @property
    def latencies(self) -> list[float]:
        return sorted(x for r in self.rounds for x in r.latencies_s)

    @property
    def missing(self) -> int:
        return sum(r.missing for r in self.rounds)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not values:
        return float("nan")
    rank = max(1, min(len(values), round(p / 100 * len(values) + 0.5)))
    return values[rank - 1]


def summary(r: SocketsResult) -> tuple[float, float, float, float]:
    """(p50, p95 over every socket of every round, median and worst last arrival of a round)."""
    lasts = [x.last_s for x in r.rounds]
    return percentile(r.latencies, 50), percentile(r.latencies, 95), statistics.median(lasts), max(lasts)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def report_section(r: SocketsResult, number: int) -> list[str]:
    """The BENCHMARKS.md section."""
    p50, p95, last_median, last_worst = summary(r)
    per = r.sockets // r.servers
    grown = [(b - a) for a, b in zip(r.server_rss_idle_kib, r.server_rss_kib, strict=True)]
    per_socket = sum(grown) / r.sockets if r.sockets else 0
    publish = statistics.median(x.publish_s for x in r.rounds)
    sent = statistics.median(x.sent_s for x in r.rounds)
    lines = [
        f"## {number}. Live pushes: a notice to {r.sockets:,} open pages",
        "",
        f"{r.servers} daphne processes serve `project.asgi` (DEBUG off) on the bench database and the Redis "
        f"channel layer; one client process (the `websockets` library, asyncio) holds {r.sockets:,} websockets "
        f"to `/ws/inbox/`, spread evenly over the servers (about {per:,} each). Each socket belongs to its own "
        f"user: {r.sockets:,} members (a liaison and a leader) of {r.units:,} units, bulk-created with a "
        "session each, and authenticated by that session cookie, so each socket joins its user's own group "
        "`inbox.<user id>`. A round publishes a signed 双周通报 of another closed cycle (every unit ranked in "
        "it) through `services.notice_publish`: the transaction writes the notification rows with one "
        "INSERT … SELECT, and on commit the pushes go out through the channel layer, one `group_send` per "
        "recipient (channels-redis's pub/sub layer, as `project/settings.py` sets it: one PUBLISH each). "
        "The clock starts just before the publish call; a socket's latency is when the client read "
        "the notification from it, minus that start (CLOCK_MONOTONIC, which the processes of one machine "
        f"share). One untimed warm-up round, then {len(r.rounds)} timed rounds; every process (servers, "
        "client, publisher, Redis, PostgreSQL) shares the machine's cores.",
        "",
        "| | Measured |",
        "|---|---:|",
        f"| sockets, server processes | {r.sockets:,}, {r.servers} |",
        f"| all sockets connected and caught up ({CONNECT_CONCURRENCY} handshakes at a time) | {r.connect_s:.1f} s |",
        "| server memory (RSS) per process, idle → with its sockets | "
        + ", ".join(
            f"{a / 1024:.0f} → {b / 1024:.0f} MiB" for a, b in zip(r.server_rss_idle_kib, r.server_rss_kib, strict=True)
        )
        + f" (~{per_socket:.0f} KiB a socket) |",
        f"| publish call (rows written, committed; median) | {_ms(publish)} |",
        f"| last push handed to Redis by the publishing process (median) | {_ms(sent)} |",
        f"| per-socket latency, p50 (all rounds pooled) | {_ms(p50)} |",
        f"| per-socket latency, p95 (all rounds pooled) | {_ms(p95)} |",
        f"| last socket served: median round, worst round | {_ms(last_median)}, {_ms(last_worst)} |",
        f"| pushes missed | {r.missing} of {r.sockets * len(r.rounds):,} |",
        f"| inbox rows written for the timed notices | {r.inbox_rows:,} |",
        "",
        "| Round | Publish call | Pushes sent | First socket | p50 | p95 | Last socket | Missed |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, x in enumerate(r.rounds, start=1):
        lat = x.latencies_s
        lines.append(
            f"| {n} | {_ms(x.publish_s)} | {_ms(x.sent_s)} | {_ms(lat[0]) if lat else '—'} | "
            f"{_ms(percentile(lat, 50))} | {_ms(percentile(lat, 95))} | {_ms(x.last_s)} | {x.missing} |"
        )
    if r.core:
        lines += ["", *_comparison(r)]
    if r.demo is not None and r.demo_capacity is not None:
        d = r.demo
        got = r.sockets - d.missing
        lines += [
            "",
            f"On the default layer, the same publish once more with its default capacity of {r.demo_capacity} "
            f"on the publishing side (which is where channels-redis checks it): {got:,} of {r.sockets:,} sockets were "
            f"told, {d.missing:,} pushes dropped"
            + (f", last socket served after {_ms(d.last_s)}." if d.latencies_s else "."),
        ]
    lines.append("")
    return lines


def _figures(rounds: list[SocketRound]) -> tuple[float, float, float, float, int]:
    pooled = sorted(x for r in rounds for x in r.latencies_s)
    return (
        statistics.median(r.sent_s for r in rounds),
        percentile(pooled, 50),
        percentile(pooled, 95),
        statistics.median(r.last_s for r in rounds),
        sum(r.missing for r in rounds),
    )


def _comparison(r: SocketsResult) -> list[str]:
    rows = [("`RedisPubSubChannelLayer` (the project's)", r.rounds), ("channels-redis `RedisChannelLayer`", r.core)]
    lines = [
        f"The same {len(r.rounds)} rounds (after a warm-up) with channels-redis's default layer on the servers "
        f"and the publisher (`bench/core_settings.py`: `capacity` {r.capacity:,}, `expiry` {r.expiry} s, reads "
        "waiting longer than its 5 s blocking pop). That layer costs a few Redis commands and a script per "
        "`group_send` and polls each process's messages with blocking pops, one message each; all sockets of "
        "one server process share one Redis key, so its capacity must exceed a whole notice's burst, and over "
        "capacity it drops messages silently. Pub/sub is one PUBLISH per push, delivered to the subscribed "
        "process; it has no capacity and keeps nothing for a process that is not listening, which suits hints.",
        "",
        "| Layer | Last push sent (median) | p50 | p95 | Last socket, median round | Missed |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rounds in rows:
        sent, p50, p95, last, missed = _figures(rounds or [])
        lines.append(f"| {name} | {_ms(sent)} | {_ms(p50)} | {_ms(p95)} | {_ms(last)} | {missed} |")
    return lines


def history_fragment(r: SocketsResult) -> str:
    p50, p95, last_median, _worst = summary(r)
    return (
        f" · live push {r.sockets:,} sockets / {r.servers} servers: p50 {_ms(p50)}, p95 {_ms(p95)}, "
        f"last socket {_ms(last_median)} median round ({r.missing} missed)"
        + (f"; default layer last socket {_ms(_figures(r.core)[3])}" if r.core else "")
    )


# --- the bench side ----------------------------------------------------------------------------


def raise_file_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the servers and the client): each
    socket is a descriptor at both ends."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def run(
    *,
    sockets: int = 1000,
    servers: int = 2,
    rounds: int = 5,
    timeout: float = 30.0,
    demo: bool = True,
    compare: bool = True,
) -> SocketsResult | None:
    """The measurement; None (after saying why) when there is no Redis layer to measure. ``compare``
    runs the same rounds again with channels-redis's default layer on servers and publisher;
    ``demo`` adds a round on that layer with its default capacity."""
    from django.conf import settings

    if not settings.REDIS_URL:
        print("Sockets: Redis not reachable (REDIS_URL unset): skipped the live-push section.")
        return None
    limit = raise_file_limit()
    if limit < sockets * 2 + 200:
        print(f"Sockets: the open-file limit is {limit}, too low for {sockets} sockets: skipped.")
        return None
    from bench.core_settings import CORE_LAYER

    config = CORE_LAYER["CONFIG"]
    w = build(sockets, cycles=rounds + 2 + (rounds + 1 if compare else 0))
    notices = iter(w.notices)
    with _serving(w, servers, SETTINGS) as (client, idle, connected, connect_s):
        _round(w, client, next(notices), servers, timeout)  # warm-up: first Redis connections, caches
        timed = [_round(w, client, next(notices), servers, timeout) for _ in range(rounds)]
    core, demo_round = None, None
    if compare:
        with _layer(CORE_LAYER), _serving(w, servers, CORE_SETTINGS) as (client, *_rest):
            _round(w, client, next(notices), servers, timeout)
            core = [_round(w, client, next(notices), servers, timeout) for _ in range(rounds)]
            if demo:
                with _layer(CORE_LAYER, capacity=DEFAULT_CAPACITY):
                    demo_round = _round(w, client, next(notices), servers, min(timeout, 5.0))
    from supervision.models import Notification

    rows = Notification.objects.filter(notice_id__in=[r.notice_id for r in timed], verb="notice_published").count()
    return SocketsResult(
        sockets=sockets,
        servers=servers,
        units=w.units,
        capacity=int(config.get("capacity", DEFAULT_CAPACITY)),
        expiry=int(config.get("expiry", 60)),
        connect_s=connect_s,
        rounds=timed,
        server_rss_idle_kib=idle,
        server_rss_kib=connected,
        inbox_rows=rows,
        demo_capacity=DEFAULT_CAPACITY if demo and compare else None,
        demo=demo_round,
        core=core,
    )


@contextlib.contextmanager
def _serving(w: World, servers: int, settings_module: str):
    """``servers`` daphne processes and the client with every socket connected; yields (client,
    server RSS before and after connecting in KiB, seconds to connect them all)."""
    ports = [_free_port() for _ in range(servers)]
    procs = [_start_server(port, settings_module) for port in ports]
    client = None
    try:
        for port, proc in zip(ports, procs, strict=True):
            _wait_for_port(port, proc)
        idle = [_rss_kib(p.pid) for p in procs]
        targets = [[ports[i % servers], cookie] for i, cookie in enumerate(w.cookies)]
        client = _Client(targets)
        ready = client.request({"connect": CONNECT_CONCURRENCY}, timeout=300)
        if ready["connected"] != len(targets):
            raise RuntimeError(f"only {ready['connected']} of {len(targets)} sockets connected: {ready.get('error')}")
        yield client, idle, [_rss_kib(p.pid) for p in procs], ready["seconds"]
    finally:
        if client is not None:
            client.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _round(w: Any, client: _Client, notice_id: int, servers: int, timeout: float) -> SocketRound:
    from supervision import services
    from supervision.services import push

    start = time.monotonic()
    services.notice_publish(actor=w.clerk, notice=notice_id)
    published = time.monotonic() - start
    push.flush(timeout)  # the client keeps reading meanwhile: arrivals are stamped as they come
    sent = time.monotonic() - start
    answer = client.request({"collect": notice_id, "timeout": timeout}, timeout=timeout + 30)
    arrivals = answer["arrivals"]
    latencies = sorted(t - start for t in arrivals if t is not None)
    per_server = [sum(1 for i, t in enumerate(arrivals) if t is not None and i % servers == s) for s in range(servers)]
    result = SocketRound(
        notice_id=notice_id,
        publish_s=published,
        sent_s=sent,
        latencies_s=latencies,
        missing=sum(1 for t in arrivals if t is None),
        per_server=per_server,
        closed=int(answer.get("closed", 0)),
    )
    if answer.get("why"):
        print(f"  {result.closed} sockets closed: {'; '.join(answer['why'])}")
    return result


@contextlib.contextmanager
def _layer(base: dict[str, Any], *, capacity: int | None = None):
    """The publishing side's layer for the rounds inside: ``base`` (a CHANNEL_LAYERS entry), with
    another capacity if given (channels-redis's default layer checks it when sending)."""
    from channels.layers import channel_layers
    from django.conf import settings

    from supervision.services import push

    saved = settings.CHANNEL_LAYERS
    layer = {**base, "CONFIG": dict(base["CONFIG"])}
    if capacity is not None:
        layer["CONFIG"] = {**layer["CONFIG"], "capacity": capacity}
    settings.CHANNEL_LAYERS = {"default": layer}
    channel_layers.backends.clear()
    try:
        yield
    finally:
        push.flush()
        settings.CHANNEL_LAYERS = saved
        channel_layers.backends.clear()


# --- the data --------------------------------------------------------------------------------------


@dataclass
class World:
    clerk: Any
    units: int
    cookies: list[str]
    notices: list[int]  # signed, one per closed cycle, oldest first


def build(sockets: int, *, cycles: int) -> World:
    """An office (clerk, director), ``sockets`` unit members (two per unit) each with a session,
    ``cycles`` closed cycles ranking every unit, and a signed notice for each."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from supervision import services
    from supervision.models import Membership, PeerGroup, Role, Unit, UnitKind, User

    office = Unit.objects.create(name="省巩固衔接领导小组办公室", kind=UnitKind.OFFICE, peer_group=PeerGroup.OFFICE)
    clerk = User.objects.create_user(username="sockets-clerk", password="x", full_name="督办员")
    director = User.objects.create_user(username="sockets-director", password="x", full_name="主任")
    Membership.objects.bulk_create(
        [
            Membership(user=clerk, unit=office, role=Role.CLERK),
            Membership(user=director, unit=office, role=Role.DIRECTOR),
        ]
    )
    n_units = -(-sockets // MEMBERS_PER_UNIT)
    units = Unit.objects.bulk_create(
        [
            Unit(
                name=f"第{i + 1}县人民政府",
                short_name=f"第{i + 1}县",
                kind=UnitKind.COUNTY,
                peer_group=PeerGroup.COUNTY,
            )
            for i in range(n_units)
        ]
    )
    users = []
    for i in range(sockets):
        user = User(username=f"sockets-{i:05d}", full_name=f"联络员{i}")
        user.set_unusable_password()  # they never sign in: the session is made for them
        users.append(user)
    users = User.objects.bulk_create(users, batch_size=1000)
    roles = [Role.LIAISON, Role.LEADER]
    Membership.objects.bulk_create(
        [
            Membership(user=u, unit=units[i // MEMBERS_PER_UNIT], role=roles[i % MEMBERS_PER_UNIT])
            for i, u in enumerate(users)
        ],
        batch_size=1000,
    )
    # The backend a password sign-in records (the throttle backend ahead of it only counts failures).
    backend = "django.contrib.auth.backends.ModelBackend"
    expires = timezone.now() + dt.timedelta(days=1)
    store = SessionStore()
    sessions = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(
                {SESSION_KEY: str(u.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: u.get_session_auth_hash()}
            ),
            expire_date=expires,
        )
        for u in users
    ]
    Session.objects.bulk_create(sessions, batch_size=1000)
    cookies = [f"{settings.SESSION_COOKIE_NAME}={s.session_key}" for s in sessions]
    notices = []
    for cycle in _closed_cycles(cycles):
        notice = services.notice_draft(actor=clerk, office=office, cycle=cycle)
        notices.append(services.notice_sign(actor=director, notice=notice).pk)
    return World(clerk=clerk, units=n_units, cookies=cookies, notices=notices)


def _closed_cycles(count: int) -> list[Any]:
    """``count`` closed cycles, through tick as in production: the first opened far enough back,
    then one run now closes (and ranks) every cycle whose cut-off has passed."""
    from django.conf import settings

    from supervision import clock, services
    from supervision.models import Cycle, CycleState

    length = dt.timedelta(days=int(settings.CYCLE_LENGTH_DAYS))
    services.tick_run(now=clock.now() - length * (count + 1))
    services.tick_run(now=clock.now())
    closed = list(Cycle.objects.filter(state=CycleState.CLOSED).order_by("number"))
    if len(closed) < count:
        raise RuntimeError(f"expected {count} closed cycles, found {len(closed)}")
    return closed[-count:]


# --- the servers ------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env() -> dict[str, str]:
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        login = f"{db['USER']}:{db['PASSWORD']}" if db.get("PASSWORD") else db["USER"]
        env["DATABASE_URL"] = f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    # The SQLite fallback shares the file through VAR_DIR, already in the environment.
    env.update(
        {
            "REDIS_URL": settings.REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "DEBUG": "0",
            "SECRET_KEY": settings.SECRET_KEY,  # the sessions were signed with it
            "ALLOWED_HOSTS": "127.0.0.1",
        }
    )
    return env


def _start_server(port: int, settings_module: str) -> subprocess.Popen:
    # Kept open for the server's life (read if it dies early); closed with the process object.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    cmd = [sys.executable, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), "project.asgi:application"]
    env = {**_server_env(), "DJANGO_SETTINGS_MODULE": settings_module}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log = log  # type: ignore[attr-defined]
    return proc


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            proc.log.seek(0)  # type: ignore[attr-defined]
            raise RuntimeError("daphne exited: " + proc.log.read().decode(errors="replace")[-2000:])  # type: ignore[attr-defined]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"daphne did not listen on port {port}")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _Client:
    """The client process, spoken to in JSON lines."""

    def __init__(self, targets: list[list[Any]]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sockets", "--client"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self._send({"targets": targets})

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.put(line)

    def _send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]

    def request(self, message: dict, *, timeout: float) -> dict:
        self._send(message)
        try:
            return json.loads(self.lines.get(timeout=timeout))
        except queue.Empty:
            raise RuntimeError(f"the socket client did not answer {message} in {timeout:.0f} s") from None

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._send({"quit": True})
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# --- the client process -------------------------------------------------------------------------------


async def _client_main() -> None:
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def answer(message: dict) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    targets = json.loads(await reader.readline())["targets"]
    arrivals: dict[int, list[float | None]] = {}
    complete: dict[int, asyncio.Event] = {}
    sockets: list[Any] = []

    def slot(notice: int) -> list[float | None]:
        if notice not in arrivals:
            arrivals[notice] = [None] * len(targets)
            complete[notice] = asyncio.Event()
        return arrivals[notice]

    closed: dict[int, str] = {}

    async def listen(index: int, ws: Any) -> None:
        try:
            async for raw in ws:
                now = time.monotonic()
                data = json.loads(raw)
                if data.get("type") == "notification" and data.get("notice"):
                    got = slot(data["notice"])
                    if got[index] is None:
                        got[index] = now
                        if all(t is not None for t in got):
                            complete[data["notice"]].set()
        except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
            closed[index] = repr(exc)[:200]
        else:
            closed[index] = f"closed by the server: {ws.close_code}"

    async def open_one(index: int, port: int, cookie: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{port}/ws/inbox/",
                additional_headers={"Cookie": cookie},
                origin=f"http://127.0.0.1:{port}",
                ping_interval=None,
                open_timeout=60,
            )
            first = json.loads(await asyncio.wait_for(ws.recv(), 60))  # joined its group: caught up
            assert first["type"] == "catch_up", first
        sockets.append(ws)
        asyncio.create_task(listen(index, ws))

    while True:
        line = await reader.readline()
        if not line:
            break
        request = json.loads(line)
        if "connect" in request:
            gate = asyncio.Semaphore(int(request["connect"]))
            start = time.monotonic()
            results = await asyncio.gather(
                *(open_one(i, port, cookie, gate) for i, (port, cookie) in enumerate(targets)), return_exceptions=True
            )
            errors = [repr(r) for r in results if isinstance(r, BaseException)]
            answer({"connected": len(sockets), "seconds": time.monotonic() - start, "error": errors[:3]})
        elif "collect" in request:
            notice = int(request["collect"])
            slot(notice)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(complete[notice].wait(), float(request["timeout"]))
            answer({"arrivals": arrivals[notice], "closed": len(closed), "why": sorted(set(closed.values()))[:3]})
        elif "quit" in request:
            break
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["--client"]:
        asyncio.run(_client_main())
    else:
        sys.exit("Run through bench/run.py (make bench); --client is the socket client process.")
