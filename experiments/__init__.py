"""perp-cascade: experiments package."""
