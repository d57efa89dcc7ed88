"""Plot helpers shared by explain/ and robust/ figures: lazy matplotlib, arrays to images.

matplotlib is optional (`pip install 'glassbox[plot]'`), so it is imported only when a figure
is drawn, with the non-interactive Agg backend unless another one was chosen already.
"""

from __future__ import annotations

import numpy as np


def pyplot():
    """matplotlib.pyplot, imported on first use; an ImportError saying how to install it."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'glassbox[plot]'") from None
    return plt


def to_image(a: np.ndarray) -> np.ndarray:
    """One example -> 2-D (or H, W, 3) for imshow: (C, H, W), (H, W) or a flat square.

    Example:
        >>> import numpy as np
        >>> to_image(np.zeros((3, 4, 5))).shape  # channels last for imshow
        (4, 5, 3)
        >>> to_image(np.zeros(16)).shape
        (4, 4)
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 3:
        # (1, H, W) -> (H, W); (C, H, W) -> (H, W, C)
        return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)
    if a.ndim == 1:
        side = round(np.sqrt(a.size))
        if side * side != a.size:
            return a[None, :]
        return a.reshape(side, side)
    return a
