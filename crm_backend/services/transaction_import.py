"""Import sales transactions from CSV: ``validate_file`` checks every row, ``import_file``
checks them and writes the good ones in one database transaction (all or nothing).

The file is streamed twice (pass 1 validates, pass 2 imports). Between the passes only a
few bytes per row are kept, in numpy arrays, never the rows themselves: a million-row file
peaks at about 70 MB and keeps 5 MB. Messages name the line, the field and the rule, never the
value: a customer_ref is personal, and a malformed value may be anything.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
from array import array
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Connection, String, any_, bindparam, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.types import ARRAY

from crm_backend.db import Base, transaction, utcnow
from crm_backend.models import Customer, Order, OrderLine, Product
from crm_backend.models.enums import OrderStatus, SalesChannel
from crm_backend.services.clock import HONG_KONG

logger = logging.getLogger(__name__)
ProgressCallback = Callable[[int, int], None]
FIELDS = ("customer_ref", "date", "amount", "order_ref", "quantity", "channel", "store")
REQUIRED = FIELDS[:3]
BATCH_SIZE = 5_000
MAX_ERRORS = 20
MAX_AMOUNT = Decimal("99999999.99")  # order.total_amount is Numeric(12, 2)
MAX_QUANTITY = 100_000
EARLIEST = date(1990, 1, 1)
DEFAULT_STORE = "Unspecified store"  # the order table requires a store name for store orders
PLACEHOLDER = {"sku": "IMPORTED", "name": "Imported transaction", "category": "imported"}
CHANNELS = {"online": SalesChannel.ONLINE, "web": SalesChannel.ONLINE,
            "ecommerce": SalesChannel.ONLINE, "e-commerce": SalesChannel.ONLINE,
            "store": SalesChannel.STORE, "shop": SalesChannel.STORE,
            "in-store": SalesChannel.STORE, "instore": SalesChannel.STORE}  # fmt: skip
GOOD, BAD, DUPLICATE, CONFLICT = 0, 1, 2, 3
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", re.ASCII)
_AMOUNT = re.compile(r"(-?)(\d+)(?:\.(\d+))?", re.ASCII)
_QUANTITY = re.compile(r"\d{1,6}", re.ASCII)
_ISO = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d))?(Z|[+-]\d\d:?\d\d)?)?", re.ASCII
)
_COMPACT = re.compile(r"(\d{4})(\d\d)(\d\d)", re.ASCII)
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)
_REF_RULE = "must be 1-16 letters, digits, '.', '_' or '-'"
_CENT = Decimal("0.01")
_MAX_WHOLE_DIGITS = len(str(int(MAX_AMOUNT)))


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing column, not UTF-8, not CSV)."""


class ImportFailed(RuntimeError):
    """The database refused the import; nothing was written. The driver's message is left
    out: PostgreSQL's DETAIL quotes the offending row."""


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file where the row starts; the header is line 1
    field: str
    message: str


@dataclass(frozen=True)
class ValidationReport:
    rows: int
    duplicates: int
    bad_rows: int
    errors: list[RowError]  # the first MAX_ERRORS, in file order
    ignored_columns: list[str]
    # Per data row: GOOD/BAD/DUPLICATE/CONFLICT, and how many identical rows came before.
    status: NDArray[np.uint8] = field(repr=False, compare=False)
    occurrence: NDArray[np.int32] = field(repr=False, compare=False)
    data_lines: int = field(default=0, repr=False)


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    imported: int
    customers_created: int
    duplicates: int
    already_imported: int
    bad_rows: int
    errors: list[RowError]
    ignored_columns: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported,
                "customers_created": self.customers_created, "duplicates": self.duplicates,
                "already_imported": self.already_imported, "bad_rows": self.bad_rows,
                "errors": [vars(e) for e in self.errors],
                "ignored_columns": self.ignored_columns}  # fmt: skip


class _Row(NamedTuple):
    customer_ref: str
    ordered_at: datetime
    amount: Decimal
    quantity: int
    channel: SalesChannel
    store: str | None
    order_ref: str | None
    key: str  # what makes two rows the same transaction, order_ref aside


class _Header(NamedTuple):
    """How to read this file's rows, as of ``now``."""

    indexes: tuple[int, ...]  # per FIELDS entry: its column, or a column past every row
    width: int
    ignored: list[str]
    now: datetime
    today: date  # in Hong Kong


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field, self.message = field, message


def validate_file(
    path: Path, *, now: datetime | None = None, progress: ProgressCallback | None = None
) -> ValidationReport:
    """Pass 1: check every row; a repeated order_ref is a duplicate (same contents) or a bad
    row (different contents); identical rows without one are numbered for their order_no."""
    now = now or utcnow()
    total = max(_count_lines(path) - 1, 0)  # data lines, for the progress callback
    errors: list[RowError] = []
    status, lines, idents, contents = bytearray(), array("q"), array("q"), array("q")
    has_ref = bytearray()
    with _open(path, now) as (header, records):
        for line, cells in records:
            try:
                row = _parse(cells, header)
            except _Bad as bad:
                status.append(BAD)
                if len(errors) < MAX_ERRORS:
                    errors.append(RowError(line, bad.field, bad.message))
                continue
            status.append(GOOD)
            lines.append(line)
            # hash() is stable within a process, which is all pass 1 needs.
            contents.append(hash(row.key))
            idents.append(hash("\x1e" + row.order_ref) if row.order_ref else hash(row.key))
            has_ref.append(row.order_ref is not None)
            if progress and len(status) % 5_000 == 0:
                progress(min(line - 1, total), total)
    state = np.frombuffer(status, dtype=np.uint8).copy()
    good = np.flatnonzero(state == GOOD)
    # One stable sort groups rows by identity (no dict per row); file order within groups.
    # int32 positions (a file has fewer than 2**31 rows) halve the peak memory.
    order = np.argsort(np.frombuffer(idents, dtype=np.int64), kind="stable").astype(np.int32)
    ident = np.frombuffer(idents, dtype=np.int64)[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = ident[1:] != ident[:-1]
    del ident
    position = np.arange(len(order), dtype=np.int32)
    first = np.maximum.accumulate(np.where(starts, position, 0))
    content = np.frombuffer(contents, dtype=np.int64)[order]
    repeat = (position > first) & np.frombuffer(has_ref, dtype=bool)[order]
    same = content == content[first]
    duplicate, conflict = repeat & same, repeat & ~same
    del content, same
    state[good[order[duplicate]]], state[good[order[conflict]]] = DUPLICATE, CONFLICT
    occurrence = np.zeros(len(state), dtype=np.int32)
    occurrence[good[order]] = position - first
    conflict_lines = np.sort(np.frombuffer(lines, dtype=np.int64)[order[conflict]])
    message = "order_ref appears earlier in the file with different contents"
    errors += [RowError(int(n), "order_ref", message) for n in conflict_lines[:MAX_ERRORS]]
    if progress:
        progress(total, total)
    return ValidationReport(
        rows=len(status),
        duplicates=int(np.count_nonzero(duplicate)),
        bad_rows=status.count(BAD) + len(conflict_lines),
        errors=sorted(errors, key=lambda e: e.line)[:MAX_ERRORS],
        ignored_columns=header.ignored,
        status=state,
        occurrence=occurrence,
        data_lines=total,
    )


def import_file(
    *,
    session_factory: sessionmaker[Session],
    path: Path,
    skip_bad: bool,
    now: datetime,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportSummary:
    """Validate, then (no bad rows, or ``skip_bad``) import the good rows in one transaction.
    Order numbers already in the database are skipped, so re-importing a file adds nothing."""
    first_pass = None if progress is None else (lambda done, total: progress(done, 2 * total))
    report = validate_file(path, now=now, progress=first_pass)
    totals = [0, 0, 0]  # imported, already imported, customers created
    if not report.bad_rows or skip_bad:
        try:
            _import_good_rows(session_factory, path, report, now, progress, batch_size, totals)
        except SQLAlchemyError as exc:
            raise ImportFailed(f"the database refused the import ({type(exc).__name__}); "
                               "nothing was imported") from None  # fmt: skip
    summary = ImportSummary(rows=report.rows, imported=totals[0], customers_created=totals[2],
                            duplicates=report.duplicates, already_imported=totals[1],
                            bad_rows=report.bad_rows, errors=report.errors,
                            ignored_columns=report.ignored_columns)  # fmt: skip
    counts = {k: v for k, v in summary.as_dict().items() if isinstance(v, int)}
    logger.info("transaction import: %s", counts)  # counts only, never row contents
    return summary


def _import_good_rows(
    session_factory: sessionmaker[Session], path: Path, report: ValidationReport,
    now: datetime, progress: ProgressCallback | None, batch_size: int, totals: list[int],
) -> None:  # fmt: skip
    """Pass 2: re-read the file and insert the rows pass 1 found good, batch by batch."""
    total, changed = report.data_lines, "the file changed while it was being imported"
    with transaction(session_factory) as session, _open(path, now) as (header, records):
        conn = session.connection()
        product_id: int | None = None
        batch: list[tuple[str, _Row]] = []
        for index, (line, cells) in enumerate(records):
            # Pass 2 acts on pass 1's verdicts, so a file edited in between is refused.
            if index >= len(report.status):
                raise ImportFileError(changed)
            if report.status[index] != GOOD:
                continue
            try:
                row = _parse(cells, header)
            except _Bad:
                raise ImportFileError(changed) from None
            batch.append((row.order_ref or _order_no(row, int(report.occurrence[index])), row))
            if len(batch) >= batch_size:
                product_id = product_id or _placeholder_product(conn, now)
                for i, n in enumerate(_insert_batch(conn, batch, product_id, now)):
                    totals[i] += n
                batch = []
                if progress:
                    progress(total + min(line - 1, total), 2 * total)
        if batch:
            product_id = product_id or _placeholder_product(conn, now)
            for i, n in enumerate(_insert_batch(conn, batch, product_id, now)):
                totals[i] += n
    if progress:
        progress(2 * total, 2 * total)


def _insert_batch(
    conn: Connection, batch: list[tuple[str, _Row]], product_id: int, now: datetime
) -> tuple[int, int, int]:
    """Insert one batch; returns (orders imported, already in the database, customers made)."""
    query = select(Order.order_no).where(_among(conn, Order.order_no, [n for n, _ in batch]))
    existing = set(conn.scalars(query))
    fresh = [(number, row) for number, row in batch if number not in existing]
    if not fresh:
        return 0, len(existing), 0
    refs = {row.customer_ref for _, row in fresh}
    ids = _ids(conn, Customer.customer_no, Customer.id, refs)
    missing = sorted(refs - ids.keys())
    if missing:
        _bulk_insert(
            conn,
            Customer,
            [
                {
                    "customer_no": ref,
                    "preferred_language": "en",
                    "created_at": now,
                    "updated_at": now,
                }
                for ref in missing
            ],
        )
        ids.update(_ids(conn, Customer.customer_no, Customer.id, missing))  # fmt: skip
    _bulk_insert(conn, Order, [
        {"order_no": number, "customer_id": ids[row.customer_ref], "channel": row.channel.value,
         "store_name": row.store, "status": OrderStatus.COMPLETED.value,
         "ordered_at": row.ordered_at, "total_amount": row.amount, "currency": "HKD"}
        for number, row in fresh])  # fmt: skip
    order_ids = _ids(conn, Order.order_no, Order.id, [number for number, _ in fresh])
    _bulk_insert(conn, OrderLine, [
        {"order_id": order_ids[number], "product_id": product_id, "quantity": row.quantity,
         "unit_price": (row.amount / row.quantity).quantize(_CENT, ROUND_HALF_UP)}
        for number, row in fresh])  # fmt: skip
    return len(fresh), len(existing), len(missing)


def _among(
    conn: Connection, column: InstrumentedAttribute[str], values: Collection[str]
) -> ColumnElement[bool]:
    """``column IN values`` with one parameter: expanding thousands of placeholders costs
    more than the query (SQLAlchemy renders them, psycopg parses them again)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("values", list(values), type_=ARRAY(String)))
    listed = func.json_each(json.dumps(list(values))).table_valued("value")
    return column.in_(select(listed.c.value))


def _ids(
    conn: Connection, key: InstrumentedAttribute[str], id_: InstrumentedAttribute[int],
    values: Collection[str],
) -> dict[str, int]:  # fmt: skip
    return {k: i for k, i in conn.execute(select(key, id_).where(_among(conn, key, values)))}


def _bulk_insert(conn: Connection, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """Plain executemany, or COPY on PostgreSQL (several times faster than INSERT there);
    ids come from the table's own sequence either way, so concurrent writers are safe."""
    if conn.dialect.name != "postgresql":
        conn.execute(insert(model), rows)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    quoted = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{model.__tablename__}" ({quoted}) FROM STDIN'
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _placeholder_product(conn: Connection, now: datetime) -> int:
    found = conn.scalar(select(Product.id).where(Product.sku == PLACEHOLDER["sku"]))
    if found is not None:
        return found
    values = {**PLACEHOLDER, "unit_price": Decimal("0.00"), "created_at": now}
    return conn.execute(insert(Product).returning(Product.id), values).scalar_one()


def _order_no(row: _Row, occurrence: int) -> str:
    # The occurrence count keeps two identical purchases apart and the same on re-import.
    digest = hashlib.sha256(f"{row.key}\x1f{occurrence}".encode()).hexdigest()
    return "T" + digest[:15].upper()


def _parse(cells: list[str], header: _Header) -> _Row:
    # Surplus empty cells (a trailing delimiter) are harmless; values there are not.
    if len(cells) > header.width and "".join(cells[header.width :]).strip():
        raise _Bad("row", "row has more fields than the header (an unquoted delimiter?)")
    width = len(cells)
    values = [cells[i].strip() if i < width else "" for i in header.indexes]
    customer_ref, when, amount_text, order_ref, quantity_text, channel_text, store = values
    if not (customer_ref and when and amount_text):
        name = REQUIRED[values.index("")]
        raise _Bad(name, f"{name} is missing")
    if not _REF.fullmatch(customer_ref):
        raise _Bad("customer_ref", f"customer_ref {_REF_RULE}")
    ordered_at, local_day, has_time, stamp = _moment(when)
    if local_day < EARLIEST:
        raise _Bad("date", f"date must not be before {EARLIEST.isoformat()}")
    if (has_time and ordered_at > header.now) or local_day > header.today:
        raise _Bad("date", "date must not be in the future")
    amount = _amount(amount_text)
    quantity = int(quantity_text) if _QUANTITY.fullmatch(quantity_text) else -1
    if quantity_text and not 1 <= quantity <= MAX_QUANTITY:
        raise _Bad("quantity", f"quantity must be a whole number from 1 to {MAX_QUANTITY}")
    # No channel given but a store named: a store sale.
    default = SalesChannel.STORE if store else SalesChannel.ONLINE
    channel = CHANNELS.get(channel_text.lower()) if channel_text else default
    if channel is None:
        raise _Bad("channel", "channel must be online or store (or shop, in-store, web)")
    if len(store) > 64:
        raise _Bad("store", "store must be at most 64 characters")
    if store and channel is SalesChannel.ONLINE:
        raise _Bad("store", "store must be empty for online orders")
    if order_ref and not _REF.fullmatch(order_ref):
        raise _Bad("order_ref", f"order_ref {_REF_RULE}")
    quantity = quantity if quantity_text else 1
    store_name = (store or DEFAULT_STORE) if channel is SalesChannel.STORE else None
    key = f"{customer_ref}\x1f{stamp}\x1f{amount}\x1f{quantity}\x1f{channel}"
    return _Row(customer_ref, ordered_at, amount, quantity, channel, store_name,
                order_ref or None, f"{key}\x1f{store_name or ''}")  # fmt: skip


def _amount(text: str) -> Decimal:
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise _Bad("amount", "amount must be a plain decimal number such as 1234.50 "
                   "(no thousands separators, currency signs or exponents)")  # fmt: skip
    sign, whole, cents = match.groups()
    if sign:
        raise _Bad("amount", "amount must not be negative")
    if cents and len(cents) > 2:
        raise _Bad("amount", "amount must have at most 2 decimal places")
    if len(whole.lstrip("0")) > _MAX_WHOLE_DIGITS:  # before Decimal meets a 30-digit number
        raise _Bad("amount", f"amount must be at most {MAX_AMOUNT}")
    amount = Decimal(f"{whole}.{cents or '0'}").quantize(_CENT)
    if amount > MAX_AMOUNT:
        raise _Bad("amount", f"amount must be at most {MAX_AMOUNT}")
    return amount


@lru_cache(maxsize=8192)  # files repeat the same dates over and over
def _moment(text: str) -> tuple[datetime, date, bool, str]:
    """UTC moment, Hong Kong day, whether a time was given (else 12:00 in Hong Kong), and
    the moment as digits for a row's key."""
    hour = minute = second = zone = None
    if match := _ISO.fullmatch(text):
        year, month, day, hour, minute, second, zone = match.groups()
    elif match := _COMPACT.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.groups()
    else:
        raise _Bad("date", "date must be YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS], YYYYMMDD or "
                   "DD/MM/YYYY")  # fmt: skip
    try:
        tz = HONG_KONG if zone is None else _offset(zone)
        moment = datetime(int(year), int(month), int(day), int(hour or 12), int(minute or 0),
                          int(second or 0), tzinfo=tz)  # fmt: skip
    except ValueError:
        raise _Bad("date", "date is not a real calendar date and time") from None
    utc = moment.astimezone(UTC)
    return utc, moment.astimezone(HONG_KONG).date(), hour is not None, f"{utc:%Y%m%d%H%M%S}"


def _offset(zone: str) -> timezone:
    if zone == "Z":
        return UTC
    digits = zone[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if zone[0] == "-" else delta)


@contextmanager
def _open(path: Path, now: datetime) -> Iterator[tuple[_Header, Iterator[tuple[int, list[str]]]]]:
    """The header, and the data rows as (line where the row starts, cells); blank rows
    (also ``;;;``, as spreadsheets export them) are skipped."""
    with path.open(encoding="utf-8-sig", newline="") as handle:  # -sig: drop a BOM
        try:
            first = handle.readline()
        except UnicodeDecodeError:
            raise ImportFileError("the file is not UTF-8 text") from None
        # Sniff from the header alone: data rows may hold commas in quoted values.
        delimiter = ";" if first.count(";") > first.count(",") else ","
        names = [name.strip() for name in next(csv.reader([first], delimiter=delimiter), [])]
        normal = [name.lower() for name in names]
        for name in FIELDS:
            if normal.count(name) > 1:
                raise ImportFileError(f"column {name} appears more than once in the header")
        missing = [name for name in REQUIRED if name not in normal]
        if missing:
            raise ImportFileError(f"missing required column(s): {', '.join(missing)}")
        absent = len(names)  # an index past every accepted row reads as empty
        indexes = tuple(normal.index(n) if n in normal else absent for n in FIELDS)
        ignored = [name for name, low in zip(names, normal, strict=True) if low not in FIELDS]
        today = now.astimezone(HONG_KONG).date()
        header = _Header(indexes, len(names), [name for name in ignored if name], now, today)
        yield header, _records(csv.reader(handle, delimiter=delimiter))


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    line = 1  # the header
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num + 1
            if "".join(cells).strip():
                yield start, cells
    except UnicodeDecodeError:
        raise ImportFileError(f"the file is not UTF-8 text (after line {line})") from None
    except csv.Error:
        raise ImportFileError(f"the file is not readable CSV (after line {line})") from None


def _count_lines(path: Path) -> int:
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count, last = count + chunk.count(b"\n"), chunk[-1:]
    return count + (last != b"\n")
