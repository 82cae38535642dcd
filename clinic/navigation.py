"""Role-aware navigation. Apps register their entries in AppConfig.ready(), so the project
package links to app pages without importing the apps."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavEntry:
    permission: str
    label: str  # a lazy translation
    url_name: str
    order: int = 100


_entries: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _entries:
        _entries.append(entry)
        _entries.sort(key=lambda e: e.order)


def entries_for(user) -> list[dict]:
    items = []
    for entry in _entries:
        if user.has_perm(entry.permission):
            try:
                items.append({"label": entry.label, "url": reverse(entry.url_name)})
            except NoReverseMatch:
                continue
    return items
