"""policy-site: one YAML file of policy clauses → a versioned site, training and PDFs."""

from .errors import ContentError, ContentErrors, HistoryError, PolicyError

__version__ = "0.1.0"

__all__ = ["ContentError", "ContentErrors", "HistoryError", "PolicyError", "__version__"]
