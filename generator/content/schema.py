"""The content schema: pydantic models that validate raw YAML data and publish the JSON Schema.

These models only check shape and types. They are converted to the frozen
dataclasses of :mod:`generator.model` by :mod:`generator.loader`, and the
cross-field rules (unique ids, answers among the choices) live in
:mod:`generator.validate`.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ..settings import is_time_zone

SCHEMA_VERSION = 1
"""Version of the content schema written by this release (see :mod:`generator.migrate`)."""

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
"""A BCP 47 language tag as policies write it: en-NZ, mi."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]
Markdown = Annotated[str, StringConstraints(min_length=1, pattern=r"\S")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChoiceIn(_Strict):
    """One answer a person can pick."""

    id: Slug = Field(description="Stable id of the choice, unique within its question (a slug).")
    text: Text = Field(description="What the person reads.")


class QuestionIn(_Strict):
    """A quiz question about a clause."""

    id: Slug = Field(description="Stable id, unique across the policy (a slug).")
    type: Literal["single", "multiple", "true-false"] = Field(
        description="single: one correct choice; multiple: select all that apply; "
                    "true-false: a statement that is true or false.")
    prompt: Text = Field(description="The question or statement.")
    choices: list[ChoiceIn] = Field(
        default_factory=list,
        description="The choices (single and multiple). A true-false question has none.")
    answer: Union[bool, Slug, list[Slug]] = Field(
        description="Correct choice id (single), list of ids (multiple), or true/false.")
    explanation: Markdown = Field(description="Shown after answering, right or wrong.")


class TrainingIn(_Strict):
    """Staff-only material for a clause. Never part of the public text."""

    guidance: Markdown | None = Field(
        default=None, description="What this clause means for staff in their daily work (Markdown).")
    questions: list[QuestionIn] = Field(default_factory=list, description="Quiz questions.")


class ClauseIn(_Strict):
    """A clause of the policy: a titled section of public text."""

    id: Slug = Field(description="Stable id, unique across the policy; the anchor in the page.")
    title: Text = Field(description="Heading of the clause.")
    summary: Text | None = Field(
        default=None, description="Optional plain-language summary shown before the full text.")
    body: Markdown | None = Field(
        default=None, description="The clause text in Markdown. Required unless the clause has sub-clauses.")
    contact: bool = Field(
        default=False, description="Show the policy's contact block at the end of this clause.")
    clauses: list["ClauseIn"] = Field(default_factory=list, description="Nested sub-clauses.")
    training: TrainingIn | None = Field(default=None, description="Staff guidance and questions.")
    translates: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")] | None = Field(
        default=None,
        description="In a translation: the source clause text this clause translates, as a fingerprint "
                    "written by `policy translations mark` (do not edit by hand). When the source clause "
                    "changes, this clause is stale until it is brought up to date and marked again.")


class AddressIn(_Strict):
    """Who to contact about the policy."""

    role: Text = Field(description="The role to address, e.g. Privacy Officer.")
    postal_address: list[Text] = Field(
        default_factory=list, description="Postal address, one line per item.")
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = Field(
        default=None, description="Email address.")
    phone: Text | None = Field(default=None, description="Phone number.")


class PolicyIn(_Strict):
    """A policy: metadata and its clauses."""

    schema_version: Literal[1] = Field(
        default=SCHEMA_VERSION, description="Version of this schema the file is written in.")
    id: Slug = Field(description="Policy id; also its URL, e.g. /privacy-policy/.")
    title: Text = Field(description="Title of the policy.")
    organisation: Text = Field(description="Legal name of the organisation that publishes it.")
    jurisdiction: Text = Field(description="Where it applies, e.g. New Zealand.")
    language: Annotated[str, StringConstraints(pattern=LANGUAGE_PATTERN)] = Field(
        description="BCP 47 language tag, e.g. en-NZ.")
    contact: AddressIn = Field(description="Contact for questions, requests and complaints.")
    preamble: Markdown | None = Field(
        default=None,
        description="Optional untitled, unnumbered introduction shown before the clauses (Markdown).")
    clauses: Annotated[list[ClauseIn], Field(min_length=1)] = Field(description="The clauses, in order.")
    previous_ids: list[Slug] = Field(
        default_factory=list,
        description="Ids this policy was published under before. Its versions continue their history, and "
                    "their addresses lead here; without it, changing the id withdraws the old policy.")
    timezone: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$")] | None = Field(
        default=None,
        description="IANA time zone in which this policy's postings become effective dates and its times are "
                    "shown, e.g. Europe/London (default: the site's). Each version keeps the zone it was "
                    "posted under.")
    notice_days: Annotated[int, Field(ge=0, le=3650)] | None = Field(
        default=None,
        description="Days from posting to taking effect for this policy (default: the site's).")
    translation_of: Slug | None = Field(
        default=None,
        description="The id of the policy this one translates. Its clauses keep the source's clause ids, "
                    "and `policy translations mark` records which source text each one translates.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_time_zone(value):
            raise ValueError(f"{value!r} is not an IANA time zone (like Pacific/Auckland or Europe/London)")
        return value


def json_schema() -> dict:
    """Return the JSON Schema editors use to autocomplete and check content files."""
    schema = PolicyIn.model_json_schema()
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "policy.schema.json",
        **schema,
    }
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
