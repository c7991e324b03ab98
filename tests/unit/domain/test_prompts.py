"""The formatting prompt: which rules the LLM is given for which job, and that the text travels alone."""

from __future__ import annotations

from domain.prompts import format_prompt

KEEP_YO = "Keep the letter ё"
REPLACE_YO = "Replace every letter ё with е"
DIALOGUE = "This transcript is a dialogue."
CHUNKED = "recognised in consecutive pieces"
LANGUAGE_WINS = "if the text itself is in another language, follow the text."


def test_by_default_the_prompt_keeps_yo_and_adds_no_dialogue_or_seam_rules():
    system, user = format_prompt("привет ёж")
    assert user == "привет ёж"  # the transcript is the user message, unchanged
    assert KEEP_YO in system and REPLACE_YO not in system
    assert DIALOGUE not in system and CHUNKED not in system
    assert "ISO code" not in system


def test_without_yo_the_prompt_asks_to_replace_it():
    system, _ = format_prompt("ёж", use_yo=False)
    assert REPLACE_YO in system and KEEP_YO not in system


def test_language_hint_names_the_code_and_lets_the_text_win():
    system, _ = format_prompt("Hallo", language="de")
    assert 'ISO code "de"' in system
    assert LANGUAGE_WINS in system


def test_dialogue_and_chunk_rules_are_added_when_asked():
    system, user = format_prompt("— a\n\n— b", dialogue=True, from_chunks=True)
    assert DIALOGUE in system and CHUNKED in system
    assert user == "— a\n\n— b"


def test_every_rule_block_is_its_own_paragraph():
    system, _ = format_prompt("x", language="ru", dialogue=True, from_chunks=True)
    paragraphs = system.split("\n\n")
    starts = [p.split(" ", 1)[0] for p in paragraphs]
    # The base rules end with rule 7; then the ё rule, the language hint, dialogue, seams.
    assert paragraphs[-4].startswith("8. Keep the letter ё")
    assert paragraphs[-3].startswith("The transcript is most likely")
    assert paragraphs[-2].startswith(DIALOGUE)
    assert paragraphs[-1].startswith("The transcript was recognised")
    assert paragraphs[-1].endswith("without changing anything else.")
    assert starts[0] == "You"


def test_the_language_hint_is_one_exact_paragraph():
    system, _ = format_prompt("Привет", language="ru")
    assert system.split("\n\n")[-1] == (
        'The transcript is most likely in the language with ISO code "ru"; ' + LANGUAGE_WINS)
