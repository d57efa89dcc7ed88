"""glassbox.models: reference models built from glassbox.nn (GPT, a character LSTM, diffusion) and the
tokenizers that feed them text."""

from glassbox.models.char_lstm import CharLSTM  # noqa: F401
from glassbox.models.diffusion import DDPM, MLPDenoiser, UNet  # noqa: F401
from glassbox.models.gpt import GPT, MLP, Block, CausalSelfAttention  # noqa: F401
from glassbox.models.tokenizers import BPETokenizer, CharTokenizer  # noqa: F401
