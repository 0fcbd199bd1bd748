"""A network namespace for the server, so that browsers reach it from another address, as phones on a class network
do (a student must not be loopback). A veth pair joins this machine's namespace (169.254.213.1) to the server's
(169.254.213.2): link-local addresses of our own, so traffic never leaves this machine.

``server_namespace()`` yields the namespace's name and the server's address, or None where namespaces cannot be made
(no ``ip``, not root, a sandbox that forbids it): callers then fall back to ``SPAMCORE_LOCAL_IS_TEACHER=0`` and say so.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Iterator

HOST_IP, SERVER_IP = "169.254.213.1", "169.254.213.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@contextlib.contextmanager
def server_namespace() -> Iterator[tuple[str, str] | None]:
    """A fresh namespace joined to this one by a veth pair; removed afterwards (with the pair)."""
    if shutil.which("ip") is None:
        yield None
        return
    name, host_end, ns_end = f"sc{uuid.uuid4().hex[:8]}", f"scv{uuid.uuid4().hex[:6]}", f"scn{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", name)
    except (subprocess.CalledProcessError, OSError):
        yield None
        return
    try:
        _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
        _ip("link", "set", ns_end, "netns", name)
        _ip("addr", "add", f"{HOST_IP}/30", "dev", host_end)
        _ip("link", "set", host_end, "up")
        _ip("netns", "exec", name, "ip", "addr", "add", f"{SERVER_IP}/30", "dev", ns_end)
        _ip("netns", "exec", name, "ip", "link", "set", ns_end, "up")
        _ip("netns", "exec", name, "ip", "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, OSError):
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _ip("netns", "del", name)
        yield None
        return
    try:
        yield name, SERVER_IP
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _ip("link", "del", host_end)  # removes its peer too
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            _ip("netns", "del", name)
