"""Every Example in a glassbox docstring runs, and prints what it says it prints."""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import glassbox

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(glassbox.__path__, prefix="glassbox.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    np.set_printoptions(legacy=False)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
