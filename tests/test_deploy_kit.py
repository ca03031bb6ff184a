"""The deployment kit (deploy/): systemd units, the environment file and the nginx site agree with
each other and with the application they run.

Checked without a server: the units are parsed (required keys, one install folder, the commands they
call exist) and, where systemd-analyze is installed, verified by systemd itself; the nginx site is
parsed and its per-location body caps compared with the application's own limits; where nginx is
installed, ``nginx -t`` checks the site with a throw-away certificate.
"""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

from project import limits

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = DEPLOY / "systemd"
APP_DIR = "/srv/supervision"
ENV_FILE = "/etc/supervision/env"
SERVICES = sorted(p.name for p in UNITS.glob("*.service"))
MIB = 1024 * 1024


# --- systemd ----------------------------------------------------------------------------------


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in systemd
    parser.read_string((UNITS / name).read_text(encoding="utf-8"))
    return parser


def env_example() -> dict[str, str]:
    """Variables the example sets, and (value "") those it shows commented out."""
    values = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line.strip()):
            name, value = m.groups()
            values[name] = value if not line.startswith("#") else values.get(name, "")
    return values


def test_the_kit_has_web_processes_workers_tick_and_backup():
    assert SERVICES == [
        "supervision-backup.service",
        "supervision-daphne@.service",
        "supervision-tick.service",
        "supervision-worker@.service",
    ]


def test_workers_run_every_queue_restart_and_belong_to_the_target():
    worker = unit("supervision-worker@.service")
    program = shlex.split(worker["Service"]["ExecStart"])
    assert program[1:3] == ["manage.py", "db_worker"]
    assert program[program.index("--queue-name") + 1] == "*"
    # Reloading on code changes is for development: it may cut a job off half-way.
    assert "--no-reload" in program
    assert worker["Service"]["Restart"] == "always"
    assert worker["Unit"]["PartOf"] == "supervision.target"
    assert worker["Install"]["WantedBy"] == "supervision.target"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_unprivileged_from_one_install_with_the_env_file(name):
    service = unit(name)["Service"]
    assert service["User"] == service["Group"] == "supervision"
    assert service["EnvironmentFile"] == ENV_FILE
    assert service["WorkingDirectory"] == APP_DIR
    program = shlex.split(service["ExecStart"])
    if program[0] == "/bin/sh":  # the backup names its archive by the date
        program = shlex.split(program[2])[1:]
    assert program[0].startswith(f"{APP_DIR}/.venv/bin/")
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    # The one writable folder holds the stored files and the data folder of the environment file.
    writable = service["ReadWritePaths"].split()
    env = env_example()
    for path in (env["VAR_DIR"], env["MEDIA_ROOT"]):
        assert any(path == w or path.startswith(w + "/") for w in writable), path


def test_services_call_commands_and_the_application_that_exist():
    commands = get_commands()
    for name in SERVICES:
        line = unit(name)["Service"]["ExecStart"]
        if "manage.py" in line:
            command = line.split("manage.py", 1)[1].split()[0]
            assert command in commands, (name, command)
    daphne = shlex.split(unit("supervision-daphne@.service")["Service"]["ExecStart"])
    assert daphne[0] == f"{APP_DIR}/.venv/bin/daphne"
    # Loopback only: nothing but nginx can reach it, so the forwarded headers it gets are nginx's.
    assert daphne[daphne.index("-b") + 1] == "127.0.0.1"
    assert daphne[daphne.index("-p") + 1] == "%i"
    assert daphne[-1].replace(":", ".") == settings.ASGI_APPLICATION


def test_timers_start_their_service_on_schedule():
    tick = unit("supervision-tick.timer")["Timer"]
    assert tick["Unit"] == "supervision-tick.service" and tick["OnCalendar"] == "*-*-* *:*:00"
    backup = unit("supervision-backup.timer")["Timer"]
    assert backup["Unit"] == "supervision-backup.service" and backup["Persistent"] == "true"
    for timer in ("supervision-tick.timer", "supervision-backup.timer"):
        assert unit(timer)["Install"]["WantedBy"] == "timers.target"
    assert unit("supervision-daphne@.service")["Install"]["WantedBy"] == "supervision.target"
    assert unit("supervision-daphne@.service")["Unit"]["PartOf"] == "supervision.target"


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    # Pointed at this checkout, so that the programs the units start exist here.
    venv = Path(sys.executable).parent.parent
    for path in UNITS.iterdir():
        text = path.read_text(encoding="utf-8").replace(f"{APP_DIR}/.venv", str(venv))
        text = text.replace(APP_DIR, str(settings.BASE_DIR))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    shutil.copy(tmp_path / "supervision-daphne@.service", tmp_path / "supervision-daphne@8001.service")
    shutil.copy(tmp_path / "supervision-worker@.service", tmp_path / "supervision-worker@1.service")
    templates = {"supervision-daphne@.service", "supervision-worker@.service"}
    names = [p.name for p in tmp_path.iterdir() if p.name not in templates]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(f"./{n}" for n in sorted(names))],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # Unknown keys, bad values and missing programs are warnings on stderr, not failures.
    assert done.stderr.strip() == ""


def test_env_example_sets_production_variables_the_settings_read():
    env = env_example()
    source = (Path(settings.BASE_DIR) / "project" / "settings.py").read_text(encoding="utf-8")
    for name in env:
        assert f'"{name}"' in source, f"{name} is not read by project/settings.py"
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "REDIS_URL"):
        assert name in env, name
    assert env["BEHIND_PROXY"] == "1"
    assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://")
    # Production is the default: the example must not switch it off.
    assert "DEBUG" not in env
    assert env["CSRF_TRUSTED_ORIGINS"] == "https://" + env["ALLOWED_HOSTS"]


# --- nginx --------------------------------------------------------------------------------------


@dataclass
class Block:
    name: str
    args: list[str]
    children: list[Block] = field(default_factory=list)

    def get(self, name: str) -> list[Block]:
        return [c for c in self.children if c.name == name]

    def value(self, name: str, default: str | None = None) -> str | None:
        found = self.get(name)
        return " ".join(found[-1].args) if found else default


def parse_nginx(text: str) -> Block:
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|[{};]|[^\s{};"]+', re.sub(r"(?m)#.*$", "", text))
    root, stack, words = Block("root", []), [], []
    current = root
    for token in tokens:
        if token == "{":
            block = Block(words[0], words[1:])
            current.children.append(block)
            stack.append(current)
            current, words = block, []
        elif token == ";":
            current.children.append(Block(words[0], words[1:]))
            words = []
        elif token == "}":
            current = stack.pop()
        else:
            words.append(token[1:-1] if token.startswith('"') else token)
    assert not stack and not words, "unbalanced nginx configuration"
    return root


SITE = parse_nginx((DEPLOY / "nginx" / "supervision.conf").read_text(encoding="utf-8"))


def https_server() -> Block:
    (server,) = [
        s for s in SITE.get("server") if any("ssl" in listen.args for listen in s.get("listen")) and s.get("location")
    ]
    return server


def location_for(server: Block, path: str) -> Block:
    """nginx's choice: an exact match; else the longest prefix, unless a regex (in order) matches."""
    locations = server.get("location")
    for loc in locations:
        if loc.args[0] == "=" and loc.args[1] == path:
            return loc
    prefixes = [loc for loc in locations if len(loc.args) == 1 and path.startswith(loc.args[0])]
    longest = max(prefixes, key=lambda loc: len(loc.args[0]))
    for loc in locations:
        if loc.args[0] == "~" and re.search(loc.args[1], path):
            return loc
    return longest


def size(value: str) -> int:
    number, unit_ = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()
    return int(number) * {"": 1, "k": 1024, "m": MIB}[unit_.lower()]


def seconds(value: str) -> int:
    number, unit_ = re.fullmatch(r"(\d+)([smh]?)", value).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600}[unit_]


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/tasks/",
        "/tasks/12/do/report_progress/",
        "/tasks/12/do/submit_completion/",
        "/letters/3/do/attach/",
        "/letters/3/do/sign/",
        "/documents/letters/3/import/",
        "/documents/ledger.pdf",
        "/admin/supervision/unit/add/",
        "/ws/inbox/",
    ],
)
def test_nginx_body_caps_match_the_applications_limits(path):
    """A body the application accepts gets through nginx; one it refuses is stopped before it."""
    server = https_server()
    cap = size(location_for(server, path).value("client_max_body_size") or server.value("client_max_body_size"))
    limit = limits.body_limit(path)
    assert limit <= cap < limit + MIB, (path, cap, limit)


def test_nginx_proxies_websockets_static_and_never_media():
    server = https_server()
    headers = {h.args[0]: h.args[1] for h in server.get("proxy_set_header")}
    assert headers["X-Forwarded-Proto"] == "$scheme"
    # Set, not appended to: an address the client wrote itself never reaches the throttling.
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["Upgrade"] == "$http_upgrade" and headers["Connection"].startswith("$")
    assert server.value("proxy_http_version") == "1.1"
    ws = location_for(server, "/ws/inbox/")
    assert ws.args == ["/ws/"] and seconds(ws.value("proxy_read_timeout")) >= 600
    # Static files from STATIC_ROOT as the environment file sets it; nothing else is read from disk.
    static = location_for(server, "/static/app.css")
    assert static.value("alias") == env_example()["STATIC_ROOT"] + "/"
    media = env_example()["MEDIA_ROOT"]
    for block in [server, *server.get("location")]:
        assert not block.get("root")
        for alias in block.get("alias"):
            assert not alias.args[0].startswith(media) and not media.startswith(alias.args[0].rstrip("/"))
    assert location_for(server, settings.MEDIA_URL + "evidence/ab/abc").value("proxy_pass") == "http://supervision_app"
    # A second layer of sign-in throttling, and HSTS on every answer.
    assert location_for(server, "/accounts/login/").value("limit_req")
    assert "max-age=31536000" in server.value("add_header")
    upstream = SITE.get("upstream")[0]
    assert all(s.args[0].startswith("127.0.0.1:") for s in upstream.get("server"))


def test_nginx_sends_plain_http_to_https():
    plain = [s for s in SITE.get("server") if s.value("server_name") and not s.get("location")]
    assert [s.value("return") for s in plain] == ["301 https://$host$request_uri"]


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx or openssl not installed")
def test_nginx_accepts_the_site(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (DEPLOY / "nginx" / "supervision.conf").read_text(encoding="utf-8")
    (tmp_path / "site.conf").write_text(site.replace("/etc/ssl/supervision/", f"{tmp_path}/"), encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        ["nginx", "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
