"""Read the project's gettext catalog without GNU gettext or polib (neither is needed to run the
tests), and find its English text in rendered output."""

import ast
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings

PO_PATH = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[k] for k in sorted(self.msgstr_plural)]

    @property
    def is_translated(self) -> bool:
        return all(self.translations) and bool(self.translations)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr\[(\d+)\]|msgstr)\s+(".*")$')


def parse(path: Path = PO_PATH) -> list[Entry]:
    """Every entry of a .po file, the header (msgid "") included, first."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8").strip("\n")):
        parts: dict = {}
        flags: set[str] = set()
        obsolete = False
        key = None
        for line in block.splitlines():
            if line.startswith("#~"):
                obsolete = True
                continue
            if line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#"):
                continue
            m = _KEYWORD.match(line)
            if m:
                key = ("msgstr", int(m.group(2))) if m.group(2) else m.group(1)
                parts[key] = ast.literal_eval(m.group(3))
            elif line.startswith('"') and key is not None:
                parts[key] += ast.literal_eval(line)
        if "msgid" not in parts:
            continue
        entries.append(
            Entry(
                msgid=parts["msgid"],
                msgctxt=parts.get("msgctxt"),
                msgid_plural=parts.get("msgid_plural"),
                msgstr=parts.get("msgstr", ""),
                msgstr_plural={k[1]: v for k, v in parts.items() if isinstance(k, tuple)},
                flags=flags,
                obsolete=obsolete,
            )
        )
    return entries


# Placeholders and markup: kept verbatim in a translation, never English words to look for.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")
TAG = re.compile(r"<[^>]+>")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def tags(text: str) -> list[str]:
    return sorted(TAG.findall(text))


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", text))


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def english_fragments(entries: list[Entry], min_words: int = 3) -> dict[str, str]:
    """The literal runs of English in the catalog (between placeholders, tags and line breaks)
    of at least ``min_words`` words, mapped to the msgid they come from. Runs that the Spanish
    translation repeats word for word (a brand name list, say) are left out: finding them in
    Spanish output proves nothing."""
    found = {}
    for entry in entries:
        if not entry.msgid:
            continue
        spanish = normalize(" ".join(entry.translations))
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            for run in re.split(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]+>|\n", source):
                run = normalize(run).strip(" :;,.·—–-(")
                if _words(run) >= min_words and run not in spanish:
                    found[run] = entry.msgid
    return found


class _TextExtractor(HTMLParser):
    """What a person reads or hears: text nodes plus the labels screen readers announce."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name in self.ATTRIBUTES:
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    # One separator per node, so words of two elements never join into a false match.
    return normalize(" | ".join(html.unescape(p) for p in parser.parts))


def english_found(text: str, fragments: dict[str, str]) -> list[str]:
    text = normalize(text)
    return sorted(run for run in fragments if run in text)
