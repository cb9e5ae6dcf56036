"""Whether a host name or address stays on this machine (localhost, 127.0.0.0/8, ::1)."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback_host"]


def is_loopback_host(host: str) -> bool:
    """True for 'localhost', an address in 127.0.0.0/8 and ::1 (also written [::1] or ::ffff:127.0.0.1).

    Any other name is not, even one that happens to resolve to a loopback address today: what a name
    resolves to can change, and the callers use this to decide whether something may leave the machine.
    """
    text = host.strip().rstrip(".").lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text == "localhost":
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
