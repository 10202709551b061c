"""perp-cascade: agents package."""
