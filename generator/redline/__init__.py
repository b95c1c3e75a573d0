"""Stage 3, redline: what changed between two texts of a policy, clause by clause and word by word."""
