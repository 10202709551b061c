"""Random streams: one generator per source of chance, so that paired runs share their luck.

A run's seed feeds Mesa's generator (`model.rng`), which builds the model (capital, leverage,
sides, makers' phases, the herding graph). Everything drawn while the model runs comes from a
stream of its own, derived from the same seed through NumPy's `SeedSequence` (independent
streams by construction, whatever the platform or the number of workers). Each stream is drawn
from by one mechanism only, so what one mechanism draws never shifts another's draws.

That is what makes paired seeds paired (common random numbers): two runs with the same seed that
differ in one setting, say liquidation orders in the book or off it, see the same fundamental
path, the same noise order flow and the same activation draws step by step, even after the
setting has made them differ in how many traders were liquidated, how many entrants arrived or
how many neighbours panicked. Their difference is then the setting's effect, not a different
draw of the market's luck.

Streams are numbered by their place in `STREAMS`: add new ones at the end, so that the existing
ones keep their draws.
"""

from __future__ import annotations

import numpy as np

STREAMS = (
    "fundamental",  # the exogenous value's diffusion and jumps (model.fundamental)
    "noise",  # which perpetual noise traders act, and what they send
    "noise_demand",  # the persistent noise demand's innovations
    "momentum",  # which momentum traders act, and on which contract
    "spot_noise",  # which spot noise traders act, and what they send
    "spot_value",  # which spot value traders act, and on which contract
    "rebalance",  # which value funds and trend followers rebalance this step
    "entrants",  # which empty places new entrants take, their capital and side
    "herding",  # which neighbours panic, and whether they cut or flip
    "perp_informed",  # which informed traders on the perpetual look, and at which contract
)
STREAM_ROOT = 0x5EED_57  # spawn-key word that sets the streams apart from a caller's own children


class RandomStreams:
    """One NumPy generator per name in `STREAMS`, derived from a model's generator's seed.

    Args:
        rng: the model's generator; its `SeedSequence` (entropy and spawn key) is the root. Its
            state is not touched. A generator without a seed sequence gives one draw for the root.
    """

    def __init__(self, rng: np.random.Generator) -> None:
        seq = getattr(rng.bit_generator, "seed_seq", None)
        if not isinstance(seq, np.random.SeedSequence):
            seq = np.random.SeedSequence(int(rng.integers(2**63)))
        self.generators: dict[str, np.random.Generator] = {
            name: np.random.Generator(
                np.random.PCG64(
                    np.random.SeedSequence(
                        seq.entropy,
                        spawn_key=(*seq.spawn_key, STREAM_ROOT, i),
                        pool_size=seq.pool_size,
                    )
                )
            )
            for i, name in enumerate(STREAMS)
        }

    def __getitem__(self, name: str) -> np.random.Generator:
        try:
            return self.generators[name]
        except KeyError:
            raise KeyError(f"no random stream {name!r}; streams: {', '.join(STREAMS)}") from None
