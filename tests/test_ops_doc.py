"""docs/ops.md, the list of supported operations, is generated from the op registry and the
op classes' docstrings (tools/make_ops_doc.py); here it must match what the code says now."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import tinygrad_sgd as tg
from registry import OPS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ops.md"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_ops_doc",
                                                  ROOT / "tools" / "make_ops_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ops_doc_is_up_to_date(generator) -> None:
    assert DOC.read_text() == generator.render(), (
        "docs/ops.md is out of date: run python tools/make_ops_doc.py")


def test_every_registry_row_and_op_class_is_listed(generator) -> None:
    text = DOC.read_text()
    for op in OPS:
        assert f"| `{op.name}`" in text
    for cls in generator.all_op_classes():
        assert f"| `{cls.__name__}` |" in text
        assert cls.__doc__, f"{cls.__name__} has no docstring (its derivative)"


def test_an_unknown_name_points_here() -> None:
    with pytest.raises(AttributeError, match="docs/ops.md"):
        tg.sin  # noqa: B018
