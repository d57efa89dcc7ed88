"""glassbox.explain: look inside a trained model.

Attribution (Captum's names and `.attribute(inputs, target=...)`):
    Saliency, InputXGradient, IntegratedGradients, NoiseTunnel, Occlusion, KernelShap, Lime,
    LayerGradCam; exact_shapley for checking KernelShap on few features.
Inside the network:
    activations(model, x, layers), conv_filters(model, layer), LinearProbe (what each layer
    knows), maximize_activation (what a class or neuron wants to see), attention_maps.
Figures (matplotlib, the `plot` extra): plot_attributions, plot_attention.

    from glassbox.explain import IntegratedGradients
    attr = IntegratedGradients(model).attribute(x, target=3, n_steps=64)
"""

from glassbox.explain._features import superpixel_mask
from glassbox.explain.activations import activations, conv_filters
from glassbox.explain.attention import attention_maps
from glassbox.explain.gradcam import LayerGradCam, interpolate
from glassbox.explain.integrated_gradients import IntegratedGradients
from glassbox.explain.lime import Lime
from glassbox.explain.maximization import maximize_activation
from glassbox.explain.noise_tunnel import NoiseTunnel
from glassbox.explain.occlusion import Occlusion
from glassbox.explain.plot import plot_attention, plot_attributions
from glassbox.explain.probes import LinearProbe
from glassbox.explain.saliency import InputXGradient, Saliency
from glassbox.explain.shap import KernelShap, exact_shapley

__all__ = [
    "InputXGradient", "IntegratedGradients", "KernelShap", "LayerGradCam", "Lime",
    "LinearProbe", "NoiseTunnel", "Occlusion", "Saliency", "activations", "attention_maps",
    "conv_filters",
    "exact_shapley", "interpolate", "maximize_activation", "plot_attention",
    "plot_attributions", "superpixel_mask",
]
