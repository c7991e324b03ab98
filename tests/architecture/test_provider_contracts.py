"""Every default model in ``Settings`` has a row in docs/provider-contracts.md with a source and a date.

A row is a Markdown table line that names the model id as a whole word (``qwen3-asr-flash`` is not
found inside ``qwen3-asr-flash-filetrans``), carries a source URL and the date it was checked
(``YYYY-MM-DD``). Changing a default without recording where it comes from fails here.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import attrs
import pytest

from domain import models
from entrypoints.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "provider-contracts.md"
URL = re.compile(r"https?://\S+")
DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")

DEFAULT_MODELS = {field.name: field.default for field in attrs.fields(Settings)
                  if field.name.endswith("_model") and isinstance(field.default, str)}


def _rows() -> list[str]:
    return [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.lstrip().startswith("|")]


def _documented(model: str) -> bool:
    name = re.compile(rf"(?<![\w.-]){re.escape(model)}(?![\w.-])")
    return any(name.search(row) and URL.search(row) and DATE.search(row) for row in _rows())


def test_every_model_setting_is_covered():
    assert set(DEFAULT_MODELS) == {"asr_model", "realtime_model", "speaker_model", "text_pass_model", "llm_model",
                                   "gemini_model"}
    assert set(DEFAULT_MODELS.values()) == set(models.DEFAULT_MODELS.values())


@pytest.mark.parametrize("field", sorted(DEFAULT_MODELS))
def test_the_default_model_has_a_sourced_dated_row(field):
    assert DOC.exists(), "docs/provider-contracts.md is missing"
    model = DEFAULT_MODELS[field]
    assert _documented(model), (
        f"Settings.{field} defaults to {model!r}, but docs/provider-contracts.md has no table row naming it "
        "with a source URL and the date it was checked")


def test_the_matcher_needs_the_whole_name_a_url_and_a_date(tmp_path, monkeypatch):
    doc = tmp_path / "contracts.md"
    doc.write_text("| `qwen3-asr-flash-filetrans` | x | https://example.com | 2026-12-06 |\n"
                   "| `fun-asr` | no source | — | 2026-12-06 |\n"
                   "| `qwen-flash` | no date | https://example.com | today |\n"
                   "| `gemini-3.8-flash` | ok | https://example.com | 2026-12-06 |\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "DOC", doc)
    assert not _documented("qwen3-asr-flash")
    assert _documented("qwen3-asr-flash-filetrans")
    assert not _documented("fun-asr") and not _documented("qwen-flash")
    assert _documented("gemini-3.8-flash")
