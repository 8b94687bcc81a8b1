"""devtools.serve.free_port: ports the services bind seconds later must not be taken meanwhile."""

from __future__ import annotations

import socket

from devtools.serve import _ephemeral_start, free_port


def test_free_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(port < _ephemeral_start() for port in ports)  # no outgoing connection takes its source port there
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # and they are free
