"""The asynchronous worker: exchange rates and stock sync, run as asyncio tasks."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import sentry_sdk
from shop import client, db

RATES = "https://rates.example.com/v1"


async def fetch_rate(currency: str) -> Decimal:
    await asyncio.sleep(0)
    data = client.get_json(f"{RATES}/latest", base="EUR", symbols=currency)
    return Decimal(str(data["rates"][currency]["rate"]))


async def convert_all(currencies: list[str]) -> list[Decimal]:
    results = await asyncio.gather(*(fetch_rate(c) for c in currencies), return_exceptions=True)
    rates: list[Decimal] = []
    for result in results:
        if isinstance(result, BaseException):
            sentry_sdk.capture_exception(result)
        else:
            rates.append(result)
    return rates


async def convert_one(currency: str) -> Decimal:
    task = asyncio.create_task(fetch_rate(currency))
    return await task


async def slow_supplier() -> None:
    await asyncio.sleep(10)


async def sync_stock(job_id: int) -> None:
    await asyncio.wait_for(slow_supplier(), timeout=0.001)


async def reconcile(order_ids: list[int]) -> int:
    checked = 0
    for order_id in order_ids:
        await asyncio.sleep(0)
        db.order_row(order_id)
        checked += 1
    return checked


STOCK = {"SKU-1001": 5, "SKU-2002": 1}


async def stock_of(sku: str) -> int:
    await asyncio.sleep(0)
    return STOCK[sku]


async def stock_report(skus: list[str]) -> dict[str, int]:
    async with asyncio.TaskGroup() as group:
        tasks = {sku: group.create_task(stock_of(sku)) for sku in skus}
    return {sku: task.result() for sku, task in tasks.items()}
