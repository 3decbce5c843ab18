"""The database connection (opened once, at import time)."""

import sqlite3

conn = sqlite3.connect("shop.db")
