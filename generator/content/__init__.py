"""Stage 1, content: read policy and checklist YAML with line numbers, and validate it."""
