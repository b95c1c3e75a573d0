"""Small policy texts shared by the history tests and the site tests built on them."""

TEXT_A = {"collection": "We collect your name and email.",
          "security": "We keep your information safe.",
          "access": "You may ask for a copy of your information."}
TEXT_B = {**TEXT_A, "security": "We keep your information safe and encrypted."}
TEXT_C = {**TEXT_B, "access": "You may ask for a copy of your information at any time."}


OLD_SCHEMA_BLOB = """\
# Written before `language` was required, with a field the schema later dropped.
id: privacy-policy
title: Privacy Policy
organisation: Example Limited
jurisdiction: New Zealand
reviewed_by: Legal team
contact:
  role: Privacy Officer
clauses:
  - id: collection
    title: Collection
    body: We collect your name and email.
    owner: legal
  - id: security
    title: Security
    body: We keep your information safe.
"""
