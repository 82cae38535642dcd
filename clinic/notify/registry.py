"""Renderers that apps register in their AppConfig.ready(), so notify imports no app."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""
    attachments: list[dict] = field(default_factory=list)


class TargetGone(Exception):
    """What the message announced no longer holds (deleted, cancelled, moved): don't send."""


Renderer = Callable[[dict, str], Rendered]
_renderers: dict[str, Renderer] = {}


def register_renderer(name: str, func: Renderer) -> None:
    _renderers[name] = func


def get_renderer(name: str) -> Renderer:
    try:
        return _renderers[name]
    except KeyError:
        raise TargetGone(f"no renderer registered under {name!r}") from None
