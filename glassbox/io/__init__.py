"""glassbox.io: weights and checkpoints on disk, in the safetensors format (never pickle).

`save` / `load` write and read state dicts; `save_checkpoint` / `load_checkpoint` hold a whole
training run (model, optimizer, scheduler, epoch, RNG, config, history). Writes are atomic.
"""

from glassbox.io.serialization import (
    load,
    load_checkpoint,
    load_metadata,
    save,
    save_checkpoint,
)

__all__ = ["load", "load_checkpoint", "load_metadata", "save", "save_checkpoint"]
