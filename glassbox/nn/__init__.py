"""Neural-network building blocks: functional ops (glassbox.nn.functional)."""

from glassbox.nn import functional  # noqa: F401
