"""The JSON-over-HTTP client the shop's integrations go through."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import tinyhttp


def get_json(url: str, **params: Any) -> Any:
    if params:
        url = f"{url}?{urlencode(params)}"
    response = tinyhttp.request("GET", url, timeout=5.0)
    return response.json()


def post_json(url: str, body: dict[str, Any]) -> Any:
    response = tinyhttp.request("POST", url, body=json.dumps(body), timeout=10.0)
    return response.json()
