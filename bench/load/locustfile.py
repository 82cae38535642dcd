"""The users of the HTTP smoke, for locust (run by bench/http_smoke.py in bench/load/.venv).

Reads the JSON file named by CLINIC_LOAD_CONFIG:

    {"think_seconds": [0.5, 1.5],
     "roles": {"patient": {"weight": 55, "cookies": ["sessionid=..."],
                           "pages": [{"name": "patient home", "path": "/me/",
                                      "weight": 20, "status": [200]}]}, ...}}

One user class per role: each user takes one of the role's pre-made sessions (logged in before
the timed part), then opens the role's pages at random by weight, reading each for the think
time. Every request goes in as behind the TLS proxy (X-Forwarded-Proto: https). A response whose
status is not one the page expects (e.g. a redirect to the login page) is a failure.
"""

import itertools
import json
import os

from locust import HttpUser, between

with open(os.environ["CLINIC_LOAD_CONFIG"]) as config_file:
    CONFIG = json.load(config_file)


def _page_task(page):
    expected = set(page["status"])

    def task(user):
        with user.client.get(
            page["path"],
            name=page["name"],
            headers=user.headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code not in expected:
                response.failure(f"status {response.status_code}, expected {sorted(expected)}")

    task.__name__ = page["name"]
    return task


def _user_class(role, spec):
    cookies = itertools.cycle(spec["cookies"] or [""])

    def on_start(self):
        self.headers = {"X-Forwarded-Proto": "https", "Accept": "text/html"}
        cookie = next(cookies)
        if cookie:
            self.headers["Cookie"] = cookie

    return type(
        f"{role.title()}User",
        (HttpUser,),
        {
            "weight": spec["weight"],
            "wait_time": between(*CONFIG["think_seconds"]),
            "tasks": {_page_task(p): p["weight"] for p in spec["pages"]},
            "on_start": on_start,
            "__module__": __name__,
        },
    )


# Module-level names only (locust collects every HttpUser subclass it finds in the module).
globals().update(
    {cls.__name__: cls for cls in (_user_class(r, s) for r, s in CONFIG["roles"].items())}
)
