"""Stage 5, site: every page and file of the public site, laid out from the versions."""
