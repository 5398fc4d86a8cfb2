"""Helpers for the scenarios' testinfra tests: facts about a test host
that only the controller side can check (reachability over the bridge)."""

import socket


def address(host):
    """The host's address on the test network, from the inventory."""
    return host.ansible.get_variables()["ansible_host"]


def tcp_probe(ip, port, timeout=3.0):
    """'open', 'refused' (a RST: reached, nothing listens) or 'filtered'
    (no answer: a firewall dropped the packet)."""
    try:
        with socket.create_connection((ip, port), timeout=timeout):
            return "open"
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "filtered"
