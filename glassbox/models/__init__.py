"""glassbox.models: reference models built from glassbox.nn (GPT, a character LSTM, diffusion) and the
tokenizers that feed them text."""

from glassbox.models.char_lstm import CharLSTM
from glassbox.models.diffusion import DDPM, MLPDenoiser, UNet
from glassbox.models.gpt import GPT, MLP, Block, CausalSelfAttention
from glassbox.models.tokenizers import BPETokenizer, CharTokenizer
