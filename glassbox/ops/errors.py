"""The error classes glassbox's ops raise for bad input.

Each is the Python class glassbox's rules ask for (ValueError for bad shapes and values,
TypeError for wrong dtypes, IndexError for indices out of range) and also a RuntimeError,
which is what torch raises for many of the same inputs (`mat1 and mat2 shapes cannot be
multiplied`), so code written against torch that catches RuntimeError keeps working.
"""


class ShapeError(ValueError, RuntimeError):
    """Bad shapes or values: shapes that do not fit together, a bad argument for the input."""


class DTypeError(TypeError, RuntimeError):
    """A tensor of the wrong dtype (a float index, input and weight of different dtypes)."""


class IndexOutOfRangeError(IndexError, RuntimeError):
    """An index outside its dimension (torch raises IndexError or RuntimeError, by op)."""
