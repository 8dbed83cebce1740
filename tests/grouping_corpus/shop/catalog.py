"""The catalogue: category trees, CSV uploads and the order schemas."""

from __future__ import annotations

import csv
import io

from pydantic import BaseModel

PARENTS = {"shoes": "apparel", "apparel": "root", "boots": "shoes", "loop-a": "loop-b"}
PARENTS["loop-b"] = "loop-a"  # a cycle someone created in the admin


class OrderIn(BaseModel):
    sku: str
    qty: int


class RefundIn(BaseModel):
    order_id: int
    amount: float


def category_path(category: str) -> list[str]:
    if category == "root":
        return [category]
    return category_path(PARENTS.get(category, "root")) + [category]


def breadcrumbs(category: str) -> str:
    return " / ".join(category_path(category))


def read_upload(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def parse_order(payload: dict[str, object]) -> OrderIn:
    return OrderIn.model_validate(payload)


def parse_refund(payload: dict[str, object]) -> RefundIn:
    return RefundIn.model_validate(payload)


def average_order(totals: list[float]) -> float:
    return sum(totals) / len(totals)
