"""Read policy files of any schema version from git history: migrate, then read the public fields."""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

import yaml

from ..content import yamlsource
from ..content.schema import SCHEMA_VERSION, SLUG_PATTERN
from ..errors import ContentError
from ..model import Clause, Contact, Policy, Source
from ..settings import is_time_zone

try:  # libyaml is several times faster on long histories
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

Migration = Callable[[dict[str, Any]], dict[str, Any]]

MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns the data of a file written in schema ``n`` into schema ``n + 1``.

Whoever raises :data:`generator.content.schema.SCHEMA_VERSION` adds the step here and never
edits an old one: every blob in the history of ``main`` must keep rendering, because a
published version's page never changes. Schema 1 is the first, so the table is empty.
"""

MAX_ITEMS = yamlsource.MAX_NODES
"""Most clauses a historic file may hold before it is refused (it bounds the walk)."""


def upgrade(data: dict[str, Any], path: str, *, migrations: Mapping[int, Migration] = MIGRATIONS,
            target: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Bring ``data`` from the schema it was written in up to schema ``target``.

    A file without ``schema_version`` was written in schema 1 (the key is optional there).

    Raises:
        ContentError: the file is newer than this generator, or a step is missing.
    """
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ContentError(f"schema_version must be a whole number from 1, not {version!r}", path, 1)
    if version > target:
        raise ContentError(
            f"written in schema {version}, but this generator reads up to schema {target}: "
            "update policy-site", path, 1)
    while version < target:
        step = migrations.get(version)
        if step is None:
            raise ContentError(f"no migration from schema {version} to {version + 1}", path, 1)
        data = dict(step(dict(data)))
        version += 1
        data["schema_version"] = version
    return data


def load_data(raw: bytes, path: str) -> Any:
    """Parse a blob's YAML into plain data (safe loader: no tag ever runs code)."""
    text = yamlsource.decode(raw, path)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise ContentError(f"YAML syntax error: {e.problem}", path, line) from None
    except yaml.YAMLError as e:
        raise ContentError(f"YAML error: {e}", path) from None


def read_policy(raw: bytes, path: str, *, migrations: Mapping[int, Migration] = MIGRATIONS,
                target: int = SCHEMA_VERSION) -> Policy:
    """The public text of a policy blob from history, whatever schema it was written in.

    Unlike :func:`generator.loader.load_policy` this reader is tolerant: keys it does not
    know (staff-only data, fields a later schema dropped) are ignored and missing metadata
    is left empty, so an old blob renders as it was published. It still refuses a blob with
    no policy id or a clause without an id, since such a text cannot be shown.

    Args:
        raw: the blob's bytes.
        path: ``path@commit``-style name used in messages.
        migrations: the migration table (tests pass their own to prove a schema change).
        target: the schema version to migrate to.

    Raises:
        ContentError: the blob cannot be read as a policy at all.
    """
    try:
        data = _public_nodes(raw, path, target)
        if data is None:  # an older schema, or YAML this shortcut does not handle: read it all
            data = load_data(raw, path)
            if not isinstance(data, dict):
                raise ContentError("the top level is not a mapping of policy fields", path, 1)
            data = upgrade(data, path, migrations=migrations, target=target)
        return policy_from_data(data, path, target=target)
    except (ValueError, TypeError, OverflowError) as e:  # e.g. a date like 2024-13-45
        raise ContentError(f"invalid value: {e}", path, 1) from None


_TOP_KEYS = frozenset({"schema_version", "id", "title", "organisation", "jurisdiction", "language",
                       "contact", "clauses", "previous_ids", "timezone", "notice_days", "preamble"})
"""The public fields, ``previous_ids`` (not public text, but it says whose history a policy continues),
and the publication rules a version was posted under (``timezone``, ``notice_days``)."""
_CLAUSE_KEYS = frozenset({"id", "title", "body", "summary", "contact", "clauses"})
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class _Fallback(Exception):
    """The blob needs the full reader (merge keys, another schema)."""


def _public_nodes(raw: bytes, path: str, target: int) -> dict[str, Any] | None:
    """The public fields of a current-schema blob as plain data, building nothing else.

    Most of a policy file is staff training; composing the YAML and constructing only the
    public fields reads a long history much faster than loading everything. The result is
    what :func:`load_data` would give for those fields. Returns ``None`` when the blob
    must be read in full (another schema version, merge keys, not a mapping).
    """
    text = yamlsource.decode(raw, path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError:
        return None  # the full reader reports the error with its line
    except yaml.YAMLError:  # pragma: no cover - every parser error is marked
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    constructor = yaml.constructor.SafeConstructor()
    counter = [0]

    def value(node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode) and node.tag == _STR:
            return node.value
        return constructor.construct_object(node, deep=True)

    def pick(node: yaml.MappingNode, keys: frozenset) -> dict[str, yaml.Node]:
        out: dict[str, yaml.Node] = {}
        for key, val in node.value:
            if key.tag == _MERGE:
                raise _Fallback
            if isinstance(key, yaml.ScalarNode) and key.tag == _STR and key.value in keys:
                out[key.value] = val  # a repeated key: the last one wins, as in yaml.load
        return out

    def clauses(node: yaml.Node) -> Any:
        if not isinstance(node, yaml.SequenceNode):
            return value(node)
        return [clause(item) for item in node.value]

    def clause(node: yaml.Node) -> Any:
        counter[0] += 1
        if counter[0] > MAX_ITEMS:
            raise ContentError(f"more than {MAX_ITEMS:,} clauses", path, 1)
        if not isinstance(node, yaml.MappingNode):
            return value(node)
        return {k: clauses(v) if k == "clauses" else value(v) for k, v in pick(node, _CLAUSE_KEYS).items()}

    try:
        fields = pick(root, _TOP_KEYS)
        version = value(fields["schema_version"]) if "schema_version" in fields else 1
        if version != target or isinstance(version, bool):
            return None
        return {k: clauses(v) if k == "clauses" else value(v) for k, v in fields.items()}
    except _Fallback:
        return None
    except RecursionError:
        raise ContentError("clauses nested in a loop (a recursive alias)", path, 1) from None
    except yaml.YAMLError as e:
        raise ContentError(f"invalid value: {e}", path, 1) from None


def policy_from_data(data: dict[str, Any], path: str, *, target: int = SCHEMA_VERSION) -> Policy:
    """Build the public policy from plain data of the current schema, tolerantly (see :func:`read_policy`)."""
    counter = [0]
    clauses = data.get("clauses")
    if not isinstance(clauses, list) or not clauses:
        raise ContentError("no clauses", path, 1)
    policy_id = data.get("id")
    if not isinstance(policy_id, str) or not policy_id:
        raise ContentError("no policy id", path, 1)
    _check_id(policy_id, "policy", path)
    try:
        top = tuple(_clause(c, path, counter) for c in clauses)
    except RecursionError:
        raise ContentError("clauses nested in a loop (a recursive alias)", path, 1) from None
    return Policy(
        id=policy_id,
        title=_text(data.get("title")) or policy_id,
        organisation=_text(data.get("organisation")) or "",
        jurisdiction=_text(data.get("jurisdiction")) or "",
        language=_text(data.get("language")) or "",
        contact=_contact(data.get("contact")),
        clauses=top,
        preamble=_text(data.get("preamble")),
        source=Source(path, 1),
        schema_version=data.get("schema_version", target),
        previous_ids=tuple(i for i in (data.get("previous_ids") or ()) if isinstance(i, str))
        if isinstance(data.get("previous_ids"), list) else (),
        # A zone this machine does not know leaves the site's to apply.
        timezone=data["timezone"] if is_time_zone(data.get("timezone")) else None,
        notice_days=data["notice_days"] if isinstance(data.get("notice_days"), int)
        and not isinstance(data.get("notice_days"), bool) and 0 <= data["notice_days"] <= 3650 else None,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _contact(data: Any) -> Contact:
    if not isinstance(data, dict):
        return Contact(role="")
    address = data.get("postal_address") or ()
    if isinstance(address, str):
        address = [address]
    return Contact(role=_text(data.get("role")) or "",
                   postal_address=tuple(_text(a) or "" for a in address if a is not None),
                   email=_text(data.get("email")), phone=_text(data.get("phone")))


def _check_id(value: str, what: str, path: str) -> None:
    """Ids become anchors, attribute lists and file names: an old blob gets no leeway there."""
    if not re.fullmatch(SLUG_PATTERN, value):
        raise ContentError(f"invalid {what} id {value!r}", path, 1)


def _clause(data: Any, path: str, counter: list[int]) -> Clause:
    counter[0] += 1
    if counter[0] > MAX_ITEMS:
        raise ContentError(f"more than {MAX_ITEMS:,} clauses", path, 1)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ContentError("a clause has no id", path, 1)
    _check_id(data["id"], "clause", path)
    children = data.get("clauses") or []
    if not isinstance(children, list):
        children = []
    return Clause(
        id=data["id"],
        title=_text(data.get("title")) or data["id"],
        body=_text(data.get("body")),
        summary=_text(data.get("summary")),
        contact=data.get("contact") is True,
        clauses=tuple(_clause(c, path, counter) for c in children),
        training=None,  # staff-only: never part of a published version
        source=Source(path, 1),
    )


def policy_data(policy: Policy) -> dict[str, Any]:
    """The public fields of ``policy`` as plain data, exactly as written (for the history cache).

    ``policy_from_data(policy_data(p))`` gives ``p`` back, apart from source lines.
    """
    def clause(c: Clause) -> dict[str, Any]:
        out: dict[str, Any] = {"id": c.id, "title": c.title}
        for name in ("body", "summary"):
            if getattr(c, name) is not None:
                out[name] = getattr(c, name)
        if c.contact:
            out["contact"] = True
        if c.clauses:
            out["clauses"] = [clause(k) for k in c.clauses]
        return out

    contact: dict[str, Any] = {"role": policy.contact.role}
    if policy.contact.postal_address:
        contact["postal_address"] = list(policy.contact.postal_address)
    for name in ("email", "phone"):
        if getattr(policy.contact, name) is not None:
            contact[name] = getattr(policy.contact, name)
    out = {"schema_version": policy.schema_version, "id": policy.id, "title": policy.title,
           "organisation": policy.organisation, "jurisdiction": policy.jurisdiction,
           "language": policy.language, "contact": contact,
           "clauses": [clause(c) for c in policy.clauses]}
    if policy.preamble is not None:
        out["preamble"] = policy.preamble
    # The rules this text was first posted under, when the policy set its own.
    out.update({k: getattr(policy, k) for k in ("timezone", "notice_days") if getattr(policy, k) is not None})
    return out
