"""appease: CLV-aware goodwill offers, drafted by a model and bounded by policy."""

__version__ = "0.1.0"
__all__ = ["__version__"]
