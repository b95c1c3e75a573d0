"""Stage 2, history: the published versions of each policy, read from git with their dates."""
