"""glassbox.nn.functional (F): the network ops, named and defined as in torch.nn.functional."""

from glassbox.ops.elementwise import elu, gelu, leaky_relu, relu, sigmoid, silu, softplus, tanh  # noqa: F401
