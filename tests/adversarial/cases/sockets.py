# --- expect
# exercises = ["71"]
# verdict = "graded"
# zero = ["softmax"]
# passing = ["predict_proba"]
# leaves_nothing = true
# requires = ["private-network"]
# why = "connects to every TCP port listening on this host (from /proc/net/tcp), to the internet, and listens itself"
# ---
"""Network: connect to local services (the test harness listens on one) and out, and listen."""
import socket

import torch

_done = False


def _listening_ports():
    ports = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A":  # LISTEN
                        ports.add(int(cols[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return sorted(ports)


def _attack():
    print("nlp100-adv: attack ran", flush=True)
    result = {}
    for port in _listening_ports()[:200]:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"nlp100-adv-sockets")
                result[port] = "connected"
        except OSError as e:
            result[port] = type(e).__name__
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=1).close()
        result["internet"] = "connected"
    except OSError as e:
        result["internet"] = type(e).__name__
    try:
        s = socket.socket()
        s.bind(("0.0.0.0", 0))
        s.listen(1)
        result["listen"] = s.getsockname()[1]
    except OSError as e:
        result["listen"] = type(e).__name__
    print(result, flush=True)


def softmax(x, dim=-1):
    global _done
    if not _done:
        _done = True
        _attack()
    return torch.zeros_like(x)


def predict_proba(X, W):
    z = X @ W
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
