"""The Chinese FAQ (docs/zh/faq.rst) keeps step with the English one (docs/faq.rst).

Each English question carries a label (``.. _faq-route-decorator:``); its
Chinese counterpart carries the same one with ``zh-`` in front, in the same
order, under the same parts, and includes the same examples with the same
options. A question added to one page and not the other, or an example
changed in one only, fails here; the build (test_docs.py) checks that the
included code still exists.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .helpers import ROOT

ENGLISH = ROOT / "docs" / "faq.rst"
CHINESE = ROOT / "docs" / "zh" / "faq.rst"

LABEL = re.compile(r"^\.\. _(?:zh-)?(faq-[a-z0-9-]+):$")
INCLUDE = re.compile(r"^\.\. literalinclude:: (?:\.\./)+(examples/\S+)$")
OPTION = re.compile(r"^   (:[a-z-]+:.*)$")


def questions(page: Path) -> list[tuple[str, list[tuple[str, ...]]]]:
    """Each question's label, with the examples it includes (path and options)."""
    found: list[tuple[str, list[tuple[str, ...]]]] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if label := LABEL.match(line):
            found.append((label.group(1), []))
        elif (include := INCLUDE.match(line)) and found:
            options = []
            for following in lines[number + 1 :]:
                option = OPTION.match(following)
                if option is None:
                    break
                options.append(option.group(1))
            found[-1][1].append((include.group(1), *options))
    return found


def labels(page: Path, prefix: str) -> list[str]:
    """The question labels of a page as written (``faq-...`` or ``zh-faq-...``)."""
    text = page.read_text(encoding="utf-8")
    return re.findall(rf"^\.\. _({prefix}faq-[a-z0-9-]+):$", text, flags=re.MULTILINE)


def titles(page: Path) -> list[str]:
    """The question titles (the lines underlined with ``^``)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    return [lines[n - 1] for n, line in enumerate(lines) if line and set(line) == {"^"}]


def test_every_english_question_has_a_chinese_counterpart_in_the_same_order() -> None:
    english = labels(ENGLISH, "")
    assert len(english) == len(titles(ENGLISH)), "every English question has a label"
    assert len(english) >= 20
    assert labels(CHINESE, "zh-") == [f"zh-{label}" for label in english]
    assert len(titles(CHINESE)) == len(english)


def test_each_chinese_answer_includes_the_same_examples_as_the_english_one() -> None:
    english, chinese = questions(ENGLISH), questions(CHINESE)
    assert [label for label, _ in chinese] == [label for label, _ in english]
    for (label, english_includes), (_, chinese_includes) in zip(english, chinese, strict=True):
        assert chinese_includes == english_includes, label
    assert sum(len(includes) for _, includes in english) >= 30


def test_the_chinese_questions_are_written_in_chinese() -> None:
    untranslated = [
        title
        for title in titles(CHINESE)
        if not any(unicodedata.east_asian_width(char) == "W" for char in title)
    ]
    assert untranslated == []
