"""Being built; see the open issue."""

__all__: list[str] = []
