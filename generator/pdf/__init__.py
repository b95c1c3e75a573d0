"""Product, PDF: one archival, tagged, reproducible PDF per version, cached by content, and verification."""
