"""Who a completion is for, and how the service knows: typed, vouched by a proxy, or signed in.

Every record keeps how its identity was established (``identity_source``):

* ``typed``: the person typed a name and an email. Nothing checks them: such a record is
  self-declared, and the report says so.
* ``proxy``: a sign-in proxy in front of the service named the person in a header. The header
  is taken only from the proxy's own addresses (``--trusted-proxy``), only once, and only when
  it is an email.
* ``oidc``: the person signed in with the company's identity provider; the email comes from
  the verified ID token (see :mod:`.oidc`).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

SOURCES = ("typed", "proxy", "oidc")

SELF_DECLARED = ("typed records are self-declared: the person typed the name and email, and "
                 "nothing checked them")

EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")

_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}
"""Characters no name, email or id needs. Controls forge lines of the text report; invisible
and bidi characters (U+200B, U+200F, U+061C, U+FEFF) make two spellings of one person, who is
then both "Completed" and "Not started"; PostgreSQL refuses NUL and UTF-8 a lone surrogate."""

LOOPBACK = ("127.0.0.0/8", "::1/128")


def refused_character(value: str) -> str | None:
    """A description of the first character of ``value`` that is refused, or ``None``."""
    for ch in value:
        if ch.isprintable() or ch == " ":
            continue
        kind = _REFUSED_CATEGORIES.get(unicodedata.category(ch))
        if kind:
            return f"U+{ord(ch):04X}, {kind}"
    return None


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an email this service keeps, or ``None`` when it is one."""
    bad = refused_character(value)
    if bad:
        return f"contains the character {bad}, which is not allowed"
    if len(value) > 254:
        return "is longer than 254 characters"
    if not EMAIL.match(value):
        return f"{value!r} is not an email address"
    return None


def identity_key(email: str) -> str:
    """The one spelling of a person: NFC, case-folded."""
    return unicodedata.normalize("NFC", email).casefold()


@dataclass(frozen=True)
class Proxies:
    """The addresses of the sign-in proxy: only they may name the person or the client address."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, values: Iterable[str]) -> "Proxies":
        """Parse addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``).

        Raises:
            ValueError: a value is neither, with the value in the message.
        """
        nets = []
        for v in values:
            try:
                nets.append(ipaddress.ip_network(v.strip(), strict=False))
            except ValueError:
                raise ValueError(f"--trusted-proxy: {v!r} is not an IP address or network") from None
        return cls(tuple(nets))

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in n for n in self.networks)

    def client_address(self, peer: str | None, forwarded_for: Sequence[str]) -> str:
        """The address to record: the peer's, or, behind a trusted proxy, the one it appended.

        The last entry of ``X-Forwarded-For`` is the one the nearest proxy added; earlier ones
        are whatever the client sent, so they are never believed.
        """
        if self.trusts(peer) and forwarded_for:
            last = ",".join(forwarded_for).split(",")[-1].strip()
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
        return peer or ""


def listens_beyond_loopback(host: str) -> bool:
    """Whether binding ``host`` lets other machines connect (names other than localhost do)."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
