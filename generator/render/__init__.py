"""Stage 4, render: content → Markdown and HTML (templates, the one Markdown converter, URLs)."""
