"""Newer / older pages for lists that only grow (past appointments, deliveries): one query per
page (the page plus one row, to know whether there is another), no COUNT over the whole list."""

from dataclasses import dataclass, field


@dataclass
class Window:
    rows: list
    number: int
    has_next: bool
    param: str = "page"
    size: int = 20
    extra: dict = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_number(self) -> int:
        return self.number - 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def paginated(self) -> bool:
        return self.has_previous or self.has_next


def page_number(value) -> int:
    value = str(value or "").strip()
    return max(1, min(int(value), 100_000)) if value.isdigit() else 1


def window(rows, *, number, size: int, param: str = "page") -> Window:
    """Page ``number`` (from 1; anything else is 1) of the ordered queryset ``rows``."""
    number = page_number(number)
    start = (number - 1) * size
    got = list(rows[start : start + size + 1])
    return Window(rows=got[:size], number=number, has_next=len(got) > size, param=param, size=size)


def page_by_keys(rows, *, size: int, number, load):
    """Django's ``Page`` of the ordered queryset ``rows``, for a deep page of a wide table: the
    sort and the OFFSET run over the primary keys alone, then ``load(keys)`` (a dict of key to
    object, e.g. ``in_bulk``) reads that page's rows. Page 50 then costs what page 1 does
    instead of sorting every matching row with all its columns (and joins)."""
    from django.core.paginator import Paginator

    page = Paginator(rows.values_list("pk", flat=True), size).get_page(number)
    keys = list(page.object_list)
    found = load(keys) if keys else {}
    page.object_list = [found[key] for key in keys if key in found]
    return page
