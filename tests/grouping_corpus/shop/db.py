"""The data layer: an in-memory SQLite database and the shop's queries."""

from __future__ import annotations

import sqlite3

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total TEXT, day TEXT);
CREATE TABLE stock (sku TEXT PRIMARY KEY, quantity INTEGER NOT NULL CHECK (quantity >= 0));
"""


class NotFound(LookupError):
    """A row the caller was sure of is missing."""


_connection: sqlite3.Connection | None = None


def connection() -> sqlite3.Connection:
    global _connection
    if _connection is None:
        _connection = sqlite3.connect(":memory:", check_same_thread=False)
        _connection.executescript(SCHEMA)
        _connection.executemany(
            "INSERT INTO customers (id, email) VALUES (?, ?)",
            [(1, "jane@example.com"), (2, "omar@example.org")],
        )
        _connection.executemany(
            "INSERT INTO orders (id, customer_id, total, day) VALUES (?, ?, ?, ?)",
            [(1001, 1, "59.90", "2024-03-01"), (1002, 2, "12.50", "2024-03-02")],
        )
        _connection.executemany(
            "INSERT INTO stock (sku, quantity) VALUES (?, ?)",
            [
                ("SKU-1001", 5),
                ("SKU-2002", 1),
                ("SKU-3003", 1000),
                ("SKU-4004", 5),
                ("SKU-5005", 4),
            ],
        )
    return _connection


def order_row(order_id: int) -> tuple[int, int, str]:
    row = (
        connection()
        .execute("SELECT id, customer_id, total FROM orders WHERE id = ?", (order_id,))
        .fetchone()
    )
    if row is None:
        raise NotFound(f"order {order_id} not found")
    return row


def product_row(sku: str) -> tuple[str, int]:
    row = connection().execute("SELECT sku, quantity FROM stock WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        raise NotFound(f"product {sku} not found")
    return row


def add_customer(email: str) -> int:
    cursor = connection().execute("INSERT INTO customers (email) VALUES (?)", (email,))
    return cursor.lastrowid or 0


def take_stock(sku: str, quantity: int) -> None:
    connection().execute("UPDATE stock SET quantity = quantity - ? WHERE sku = ?", (quantity, sku))


def revenue_rows(day: str) -> list[tuple[str]]:
    return connection().execute("SELECT SUM(totl) FROM orders WHERE day = ?", (day,)).fetchall()
