"""Every ```python block in docs/ runs: the blocks of one file, in order, in one namespace.

Each file runs in a fresh temporary working directory (plots and files the docs write land
there) with matplotlib's non-interactive backend. A failing block is reported with its file,
its first line number and its source.
"""

import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block in a Markdown file."""
    text = path.read_text()
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in _BLOCK.finditer(text)]


def test_block_extraction_finds_blocks_and_skips_others():
    text = "x\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = a + 1\n```\n"
    blocks = [m.group(1) for m in _BLOCK.finditer(text)]
    assert blocks == ["a = 1\n", "b = a + 1\n"]


@pytest.mark.parametrize("path", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_docs_python_blocks_run(path, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    for line, source in python_blocks(path):
        code = compile(source, f"{path.name}:{line}", "exec")
        try:
            exec(code, namespace)  # noqa: S102  (the docs' own code blocks, run as written)
        except Exception as err:
            raise AssertionError(f"{path.name}, block at line {line} failed: {err!r}\n"
                                 f"{source}") from err
    os.chdir(tmp_path)  # a block may have changed directory; monkeypatch restores it
