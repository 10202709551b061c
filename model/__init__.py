"""perp-cascade: model package."""
