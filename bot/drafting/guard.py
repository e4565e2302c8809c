"""Being built; see the open issue."""
