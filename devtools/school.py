"""A school's server on this machine, as docs/school.md sets one up, for the tests and the bench: PostgreSQL, two
``spamcore app --school`` replicas behind nginx (the repository's ``deploy/nginx-spamcore.conf``), one
``spamcore worker``. Everything runs in a network namespace of its own (``devtools.netns``), so browsers arrive from
another address as students' devices do, and nothing listens on this machine's own addresses; where no namespace can
be made it runs on loopback and says so.

PostgreSQL is an instance of its own (``initdb`` into a temporary folder, run as the ``postgres`` user, which
PostgreSQL requires), so a test may stop it for half a minute without touching anyone else's database.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devtools.browser import free_port, wait_healthy
from devtools.netns import server_namespace

REPO = Path(__file__).resolve().parent.parent
NGINX_CONF = REPO / "deploy" / "nginx-spamcore.conf"


def missing() -> str | None:
    """Why a school cannot be set up here (no PostgreSQL server binaries, no nginx, not root), or None."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        return "PostgreSQL's server is not installed (apt-get install postgresql)"
    if shutil.which("nginx") is None:
        return "nginx is not installed (apt-get install nginx)"
    if os.geteuid() != 0:
        return "the school's set-up runs PostgreSQL as the postgres user: run as root"
    return None


def _pg_bin(name: str) -> str:
    return sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1]


@dataclass
class Postgres:
    """A PostgreSQL instance of this set-up's own."""

    folder: Path
    port: int
    prefix: list[str]  # runs a command in the server's namespace
    host: str  # the server's address: the servers and the tests on this machine both reach it

    @property
    def url(self) -> str:
        return f"postgresql://spamcore@{self.host}:{self.port}/school"

    def _as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.prefix, "runuser", "-u", "postgres", "--", *command], check=check,
                              capture_output=True, text=True, timeout=120)

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(_pg_bin("initdb"), "-D", str(self.folder / "data"), "-U", "spamcore", "--auth=trust",
                          "-E", "UTF8", "--no-instructions")
        with open(self.folder / "data" / "pg_hba.conf", "a") as hba:  # the server's own subnet (the namespace's)
            hba.write("host all all samenet trust\n")
        self.start()
        self._as_postgres(_pg_bin("psql"), "-h", self.host, "-p", str(self.port), "-U", "spamcore", "-d",
                          "postgres", "-qc", "CREATE DATABASE school")

    def start(self) -> None:
        self._as_postgres(_pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "pg.log"),
                          "-w", "-o", f"-c listen_addresses={self.host} -p {self.port} -k {self.folder} "
                          "-c max_connections=200 -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres(_pg_bin("pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop",
                          check=False)


@dataclass
class School:
    """The running set-up: its public address (nginx), the replicas' own addresses, the codes."""

    url: str
    replica_urls: list[str]
    admin_code: str
    postgres: Postgres
    runs: Path
    tmp: Path
    prefix: list[str]
    env: dict
    host: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start_replica(self, index: int) -> None:
        url = self.replica_urls[index]
        port = url.rsplit(":", 1)[1]
        log = open(self.tmp / f"replica-{index}.log", "a")  # noqa: SIM115 (the process writes it for its life)
        command = [*self.prefix, sys.executable, "-m", "spamcore", "app", "--school", "--database",
                   self.postgres.url, "--port", port, "--host", self.host]
        process = subprocess.Popen(command, cwd=self.tmp, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[f"replica-{index}"] = process
        wait_healthy(url, process)

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def start_worker(self) -> subprocess.Popen:
        log = open(self.tmp / "worker.log", "a")  # noqa: SIM115
        process = subprocess.Popen([*self.prefix, sys.executable, "-m", "spamcore", "worker", "--database",
                                    self.postgres.url], cwd=self.tmp, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes["worker"] = process
        return process

    def spamcore(self, *args: str) -> subprocess.CompletedProcess:
        """A ``spamcore`` command run on the school's server (its namespace)."""
        return subprocess.run([*self.prefix, sys.executable, "-m", "spamcore", *args], cwd=self.tmp, env=self.env,
                              capture_output=True, text=True, timeout=300)


def nginx_config(tmp: Path, listen: str, replicas: list[str]) -> Path:
    """The repository's nginx site with this set-up's addresses, inside a whole nginx.conf of its own."""
    site = NGINX_CONF.read_text()
    site = site.replace("server 127.0.0.1:8501", f"server {replicas[0]}").replace(
        "server 127.0.0.1:8502", f"server {replicas[1]}").replace("listen 80;", f"listen {listen};")
    (tmp / "spamcore.conf").write_text(site)
    temp = tmp / "nginx-temp"
    temp.mkdir(exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp}/spamcore.conf;
}}
""")
    return conf


@contextlib.contextmanager
def school_server(runs: Path, data: Path, *, worker: bool = True) -> Iterator[School]:
    """PostgreSQL, nginx, two replicas and (``worker``) one worker, started in that order and stopped in reverse."""
    tmp = Path(tempfile.mkdtemp(prefix="spamcore-school-"))
    os.chmod(tmp, 0o755)  # the postgres user reads its folder inside
    with server_namespace() as netns:
        if netns is None:
            warnings.warn("no network namespace could be made: the school runs on loopback", stacklevel=2)
        prefix = ["ip", "netns", "exec", netns[0]] if netns else []
        host = netns[1] if netns else "127.0.0.1"
        postgres = Postgres(tmp / "postgres", free_port(), prefix, host)
        admin = secrets.token_hex(4)
        ports = [free_port() for _ in range(3)]
        env = {**os.environ, "SPAMCORE_RUNS": str(runs), "SPAMCORE_DATA": str(data), "SPAMCORE_ADMIN_CODE": admin,
               "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(16), "SPAMCORE_CACHE": str(tmp / "cache"),
               "SPAMCORE_PUBLIC_URL": f"http://{host}:{ports[2]}/", "HF_HUB_OFFLINE": "1",
               "PYTHONUNBUFFERED": "1"}
        school = School(f"http://{host}:{ports[2]}", [f"http://{host}:{p}" for p in ports[:2]], admin, postgres,
                        runs, tmp, prefix, env, host)
        nginx = None
        try:
            postgres.init()
            school.start_replica(0)
            school.start_replica(1)
            conf = nginx_config(tmp, f"{host}:{ports[2]}", [f"{host}:{p}" for p in ports[:2]])
            nginx = subprocess.Popen([*prefix, "nginx", "-c", str(conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=open(tmp / "nginx.log", "w"))  # noqa: SIM115
            wait_healthy(school.url, nginx)
            if worker:
                school.start_worker()
            yield school
        finally:
            for name in list(school.processes):
                school.stop(name)
            if nginx is not None:
                nginx.terminate()
                nginx.wait(20)
            _kill_trainers(runs)
            postgres.stop()
            shutil.rmtree(tmp, ignore_errors=True)


def _kill_trainers(runs: Path) -> None:
    import json

    for job_file in runs.rglob("job.json"):
        with contextlib.suppress(OSError, ValueError, ProcessLookupError, PermissionError, TypeError):
            os.killpg(os.getpgid(json.loads(job_file.read_text()).get("pid")), signal.SIGKILL)
