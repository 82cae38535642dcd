"""Enumerate every URL pattern of the project with a concrete sample path (for walkers)."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLES = {
    "int": "999999",
    "str": "sample",
    "slug": "sample",
    "path": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


@dataclass(frozen=True)
class Route:
    path: str
    name: str  # "namespace:name" or "" when unnamed
    callback: object
    params: tuple[str, ...] = ()  # the URL's arguments, by name

    @property
    def is_public(self) -> bool:
        return getattr(self.callback, "login_required", True) is False


def _sample(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        route = str(pattern._route)

        def conv(match):
            kind = match.group(1) or "str"
            return SAMPLES.get(kind, "1")

        return re.sub(r"<(?:(\w+):)?\w+>", conv, route)
    regex = pattern._regex if isinstance(pattern, RegexPattern) else str(pattern)
    regex = regex.lstrip("^").rstrip("$").replace("\\Z", "")
    regex = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "1" if "id" in m.group(1) else "sample", regex)
    regex = re.sub(r"\(\?:[^)]*\)\??", "", regex)
    return regex.replace("\\", "")


def _params(pattern) -> list[str]:
    text = str(pattern._route) if isinstance(pattern, RoutePattern) else str(pattern)
    return re.findall(r"<(?:\w+:)?(\w+)>", text)


def walk(patterns=None, prefix="", namespace="", params=()) -> list[Route]:
    routes = []
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        part = _sample(p.pattern)
        here = (*params, *_params(p.pattern))
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            routes += walk(p.url_patterns, prefix + part, ns, here)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else ""
            routes.append(Route("/" + prefix + part, name, p.callback, here))
    return routes
