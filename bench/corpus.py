"""The benchmark's corpus: cn-health claims from the sample generator in ``engine.samples``."""

from engine.samples.cn_health import make_claims

__all__ = ["make_claims"]
