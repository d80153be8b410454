"""CSV transaction import (services.transaction_import, ``crm import-transactions``) on
SQLite and PostgreSQL: exact counts, bad rows by line and field, all-or-nothing, re-import."""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import log_guard
import pytest
from databases import empty_database
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from crm_backend import migrate
from crm_backend.cli import app
from crm_backend.config import get_settings
from crm_backend.db import make_engine, make_session_factory
from crm_backend.models import Customer, Order, OrderLine, Product
from crm_backend.services import transaction_import
from crm_backend.services.transaction_import import (
    ImportFailed,
    ImportFileError,
    ImportSummary,
    import_file,
)

NOW = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 12:00 on 1 Nov 2026 in Hong Kong
HEADER = "customer_ref,date,amount,order_ref,quantity,channel,store"
INJECTION = "1'; DROP TABLE customer;--"
REF_RULE = "customer_ref must be 1-16 letters, digits, '.', '_' or '-'"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A migrated, empty database per backend for this module; PostgreSQL never skips."""
    with empty_database(request.param, tmp_path_factory.mktemp("import")) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    with engine.begin() as conn:  # each test starts from empty tables
        for model in (OrderLine, Order, Customer, Product):
            conn.execute(delete(model))
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def run(factory: sessionmaker[Session], path: Path, **options: object) -> ImportSummary:
    return import_file(session_factory=factory, path=path, now=NOW,
                       **{"skip_bad": False, **options})  # type: ignore[arg-type]  # fmt: skip


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {model.__tablename__: conn.scalar(select(func.count()).select_from(model)) or 0
                for model in (Customer, Order, OrderLine, Product)}  # fmt: skip


def orders(factory: sessionmaker[Session]) -> dict[str, Order]:
    with factory() as session:
        return {o.order_no: o for o in session.scalars(select(Order))}


EMPTY = {"customer": 0, "order": 0, "order_line": 0, "product": 0}
GOOD_FILE = f"""{HEADER}
C100,2026-10-01,120.50,A-1,2,store,Mong Kok
C100,2026-10-02 09:30,80,A-2,,web,
C200,20261003,0.00,,1,,
C300,03/10/2026,15.25,,3,shop,
C200,2026-10-04T23:15:00,1000000.99,A.3,1,Online,
C400,2026-10-05,99999999.99,B9,,,Sha Tin
"""


def test_a_good_file_imports_every_row(factory, engine, tmp_path):
    summary = run(factory, write(tmp_path, GOOD_FILE))
    assert (summary.rows, summary.imported, summary.customers_created) == (6, 6, 4)
    assert (summary.duplicates, summary.already_imported, summary.bad_rows) == (0, 0, 0)
    assert (summary.errors, summary.ignored_columns) == ([], [])
    assert counts(engine) == {"customer": 4, "order": 6, "order_line": 6, "product": 1}
    found = orders(factory)
    assert sum(o.total_amount for o in found.values()) == Decimal("101000216.73")
    one, two, three, four = found["A-1"], found["A-2"], found["A.3"], found["B9"]
    assert (one.channel, one.store_name, one.ordered_at) == (
        "store", "Mong Kok", datetime(2026, 10, 1, 4, tzinfo=UTC))  # fmt: skip
    assert (one.lines[0].quantity, one.lines[0].unit_price) == (2, Decimal("60.25"))
    assert (two.channel, two.store_name) == ("online", None)
    assert two.ordered_at == datetime(2026, 10, 2, 1, 30, tzinfo=UTC)  # 09:30 in Hong Kong
    assert three.ordered_at == datetime(2026, 10, 4, 15, 15, tzinfo=UTC)
    assert (four.channel, four.store_name) == ("store", "Sha Tin")  # a store and no channel
    generated = [o for no, o in found.items() if no.startswith("T") and len(no) == 16]
    shop = next(o for o in generated if o.total_amount == Decimal("15.25"))
    assert (shop.store_name, shop.lines[0].quantity) == ("Unspecified store", 3)
    assert shop.lines[0].unit_price == Decimal("5.08")
    assert {(o.status, o.currency) for o in found.values()} == {("completed", "HKD")}
    with factory() as session:
        customer = session.scalars(select(Customer).where(Customer.customer_no == "C100")).one()
        assert (customer.given_name, customer.email, customer.phone) == (None, None, None)
        product = session.scalars(select(Product)).one()
        assert (product.sku, product.unit_price) == ("IMPORTED", Decimal("0.00"))


def test_bom_semicolons_header_case_and_extra_columns(factory, engine, tmp_path):
    text = (" Customer_Ref ; DATE ;Amount;Note; QUANTITY \r\n"
            'C1;2026-10-01;12.50;"a; b, c";2\r\nC2;2026-10-02;7;;;\r\n;;;;\r\n')  # fmt: skip
    summary = run(factory, write(tmp_path, text, encoding="utf-8-sig"))
    assert (summary.rows, summary.imported, summary.ignored_columns) == (2, 2, ["Note"])
    assert sum(o.total_amount for o in orders(factory).values()) == Decimal("19.50")


DATES = {
    "2026-10-06": datetime(2026, 10, 6, 4, tzinfo=UTC),
    "20261006": datetime(2026, 10, 6, 4, tzinfo=UTC),
    "6/10/2026": datetime(2026, 10, 6, 4, tzinfo=UTC),  # day first
    "2026-10-06 08:00:30": datetime(2026, 10, 6, 0, 0, 30, tzinfo=UTC),
    "2026-10-06T10:00Z": datetime(2026, 10, 6, 10, tzinfo=UTC),
    "2026-10-06T10:00+08:00": datetime(2026, 10, 6, 2, tzinfo=UTC),
    "1990-01-01": datetime(1990, 1, 1, 4, tzinfo=UTC),
    "2026-11-01": datetime(2026, 11, 1, 4, tzinfo=UTC),  # today in Hong Kong
}


def test_date_formats(factory, tmp_path):
    rows = "".join(f"C1,{text},1.00,D{i}\n" for i, text in enumerate(DATES))
    assert run(factory, write(tmp_path, f"{HEADER}\n{rows}")).imported == len(DATES)
    found = orders(factory)
    assert [found[f"D{i}"].ordered_at for i in range(len(DATES))] == list(DATES.values())


BAD_ROWS = [
    ("customer_ref", {"customer_ref": ""}),
    ("customer_ref", {"customer_ref": INJECTION}),
    ("customer_ref", {"customer_ref": "<script>alert(1)</script>"}),
    ("customer_ref", {"customer_ref": "C1234567890123456"}),  # 17 characters
    ("customer_ref", {"customer_ref": "Chan Tai Man"}),
    *[("date", {"date": d}) for d in ("", "2026-13-01", "2026-02-30", "01-10-2026",
                                      "2026/10/01", "2026-11-02", "2026-11-01 12:01",
                                      "1989-12-31", "31/12/1989", "next week")],
    *[("amount", {"amount": a}) for a in ("", "-5.00", "1,234.50", "12.345", "abc", "NaN",
                                          "inf", "1e3", "100000000.00", "HK$12", ".5",
                                          "123456789012345678901234567890")],
    *[("quantity", {"quantity": q}) for q in ("0", "1.5", "100001", "-1", "two")],
    ("channel", {"channel": "phone"}),
    ("store", {"channel": "store", "store": "x" * 65}),
    ("store", {"channel": "online", "store": "Mong Kok"}),
    ("order_ref", {"order_ref": "bad ref!"}),
    ("order_ref", {"order_ref": "O1234567890123456"}),
    ("row", {"extra": "surplus"}),
]  # fmt: skip


@pytest.mark.parametrize(("field", "change"), BAD_ROWS)
def test_a_bad_row_is_reported_by_line_and_field_and_nothing_is_imported(
    factory, engine, tmp_path, field, change
):
    row = {"customer_ref": "C9", "date": "2026-10-01", "amount": "5.00", "order_ref": "",
           "quantity": "", "channel": "", "store": "", "note": "", **change}  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*HEADER.split(","), "note"])
    writer.writerow(["C1", "2026-10-01", "10.00", "", "", "", "", "two\nlines"])  # lines 2-3
    out.write("\n")  # line 4: blank, skipped
    writer.writerow(row.values())  # line 5
    summary = run(factory, write(tmp_path, out.getvalue()))
    assert (summary.rows, summary.bad_rows, summary.imported) == (2, 1, 0)
    assert [(e.line, e.field) for e in summary.errors] == [(5, field)]
    if field in ("customer_ref", "order_ref") and change[field]:
        assert change[field] not in summary.errors[0].message
    assert counts(engine) == EMPTY


def test_messages_name_the_rule(tmp_path):
    path = write(tmp_path, f"{HEADER}\n{INJECTION},2026-10-01,1\nC1,2026-10-01,1.234\n")
    errors = transaction_import.validate_file(path, now=NOW).errors
    assert [e.message for e in errors] == [REF_RULE, "amount must have at most 2 decimal places"]


def test_repeated_order_refs(factory, engine, tmp_path):
    path = write(tmp_path, f"""{HEADER}
C1,2026-10-01,10.00,R1
C1,01/10/2026,10.0,R1
C2,2026-10-01,10.00,R1
C1,2026-10-02,10.00,R1
C1,2026-10-01,10.00,R2
""")  # fmt: skip
    refused = run(factory, path)
    assert [(e.line, e.field) for e in refused.errors] == [(4, "order_ref"), (5, "order_ref")]
    assert (refused.bad_rows, refused.duplicates, counts(engine)) == (2, 1, EMPTY)
    summary = run(factory, path, skip_bad=True)
    assert (summary.imported, summary.duplicates, summary.bad_rows) == (2, 1, 2)
    assert orders(factory)["R1"].total_amount == Decimal("10.00")


def test_skip_bad_imports_the_good_rows_and_reports_the_first_twenty(factory, engine, tmp_path):
    bad = "".join(f"C{i},2026-10-01,-1\n" for i in range(25))  # lines 2-26
    path = write(tmp_path, f"{HEADER}\n{bad}G1,2026-10-01,1\nG2,2026-10-01,2\nG1,20261002,3\n")
    refused = run(factory, path)
    assert (refused.bad_rows, len(refused.errors), refused.errors[0].line) == (25, 20, 2)
    assert refused.errors[-1].line == 21
    assert counts(engine) == EMPTY
    summary = run(factory, path, skip_bad=True)
    assert (summary.imported, summary.customers_created, summary.bad_rows) == (3, 2, 25)
    assert counts(engine)["order"] == 3


def test_re_importing_adds_nothing_with_or_without_order_refs(factory, engine, tmp_path):
    rows = f"{HEADER}\nC1,2026-10-01,5.00\nC1,2026-10-01,5.00\nC2,2026-10-02,7.50,X1\n"
    first = run(factory, write(tmp_path, rows))
    assert (first.imported, first.customers_created) == (3, 2)  # two identical purchases
    before = counts(engine)
    again = run(factory, write(tmp_path, rows))
    assert (again.imported, again.already_imported, again.customers_created) == (0, 3, 0)
    assert counts(engine) == before
    grown = run(factory, write(tmp_path, rows + "C1,2026-10-01,5\n"))  # a third identical one
    assert (grown.imported, grown.already_imported) == (1, 3)


def test_an_existing_customer_gets_the_order(factory, engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(insert(Customer), {"customer_no": "C777", "created_at": NOW,
                                        "updated_at": NOW})  # fmt: skip
        existing = conn.scalar(select(Customer.id))
    summary = run(factory, write(tmp_path, f"{HEADER}\nC777,2026-10-01,88.80,E1\n"))
    assert (summary.imported, summary.customers_created) == (1, 0)
    assert orders(factory)["E1"].customer_id == existing
    assert counts(engine)["customer"] == 1


def test_an_injection_attempt_is_a_bad_row_and_the_tables_are_intact(factory, engine, tmp_path):
    run(factory, write(tmp_path, f"{HEADER}\nC1,2026-10-01,1.00,K1\n", name="first.csv"))
    before = counts(engine)
    path = write(tmp_path, f'{HEADER}\n"{INJECTION}",2026-10-01,1.00\nC2,2026-10-01,2.00\n')
    summary = run(factory, path, skip_bad=True)
    assert (summary.imported, summary.bad_rows) == (1, 1)
    assert counts(engine)["customer"] == before["customer"] + 1
    with engine.connect() as conn:
        assert set(conn.scalars(select(Customer.customer_no))) == {"C1", "C2"}
    assert not [text for _, text in log_guard.BOOK.records if INJECTION in text]


def test_a_crash_mid_import_leaves_nothing_written(factory, engine, tmp_path, monkeypatch):
    real = transaction_import._insert_batch
    calls: list[int] = []

    def crash_on_second(*args: object) -> tuple[int, int, int]:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("simulated crash")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(transaction_import, "_insert_batch", crash_on_second)
    rows = "".join(f"C{i},2026-10-01,{i}.00\n" for i in range(5))
    with pytest.raises(RuntimeError, match="simulated"):
        run(factory, write(tmp_path, f"{HEADER}\n{rows}"), batch_size=2)
    assert len(calls) == 2
    assert counts(engine) == EMPTY


def test_a_database_error_does_not_quote_the_row(factory, tmp_path, monkeypatch):
    refusal = IntegrityError("INSERT", {}, Exception("Key (customer_no)=(C5) already exists"))

    def refuse(*_args: object) -> int:
        raise refusal

    monkeypatch.setattr(transaction_import, "_placeholder_product", refuse)
    with pytest.raises(ImportFailed) as failed:
        run(factory, write(tmp_path, f"{HEADER}\nC5,2026-10-01,1\n"))
    assert "IntegrityError" in str(failed.value)
    assert "C5" not in str(failed.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("customer_ref,date\nC1,2026-10-01\n", "missing required column(s): amount"),
        ("ref;when;amount\n", "missing required column(s): customer_ref, date"),
        ("", "missing required column(s): customer_ref, date, amount"),
        ("customer_ref,date,amount,Amount\n", "column amount appears more than once"),
    ],
)
def test_a_file_without_the_required_columns_is_refused(factory, engine, tmp_path, text, message):
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(factory, write(tmp_path, text))
    assert counts(engine) == EMPTY


def test_a_file_that_is_not_utf8_is_refused(factory, engine, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\nC1,2026-10-01,1\nC2,2026-10-01,1,Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        run(factory, path)
    assert counts(engine) == EMPTY


def test_two_hundred_thousand_rows(factory, engine, tmp_path):
    path, cents = tmp_path / "big.csv", 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER + "\n")
        for i in range(200_000):
            store = ",store,Causeway Bay" if i % 3 == 0 else ",,"
            ref = f"O{i}" if i % 2 else ""
            handle.write(f"C{i % 20_000},2025-{i % 12 + 1:02d}-{i % 28 + 1:02d},"
                         f"{i % 5_000}.{i % 100:02d},{ref},{i % 4 + 1}{store}\n")  # fmt: skip
            cents += (i % 5_000) * 100 + i % 100
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    summary = run(factory, path, progress=lambda done, total: calls.append((done, total)))
    assert time.perf_counter() - started < 60  # about 6 s on SQLite, 8 s on PostgreSQL
    assert (summary.rows, summary.imported, summary.customers_created) == (200_000, 200_000, 20_000)
    with engine.connect() as conn:
        total = conn.scalar(select(func.sum(func.round(Order.total_amount * 100))))
    assert int(total or 0) == cents
    assert calls[-1] == (400_000, 400_000) and len(calls) > 10
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(calls))


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine):
    """``crm import-transactions`` against this module's database."""
    monkeypatch.setenv("CRM_DATABASE_URL", db_url)
    monkeypatch.setenv("CRM_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, ["import-transactions", *args], catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()


CLI_FILE = f"{HEADER},note\nP1,2024-05-01,10.00,,,,,x\nP2,2024-05-02,abc,,,,,\nP1,2024-05-03,2\n"
KEYS = {"rows", "imported", "customers_created", "duplicates", "already_imported", "bad_rows",
        "errors", "ignored_columns"}  # fmt: skip


def test_cli_exit_codes_and_json(cli, engine, tmp_path):
    path = write(tmp_path, CLI_FILE)
    refused = cli(str(path))
    assert refused.exit_code == 1
    assert "line 3, amount: amount must be a plain decimal number" in refused.stderr
    assert "1 bad rows; nothing imported" in refused.stderr
    assert counts(engine) == EMPTY
    as_json = cli(str(path), "--json")
    assert as_json.exit_code == 1
    body = json.loads(as_json.stdout)
    assert set(body) == KEYS and body["errors"][0]["line"] == 3
    assert body["errors"] == [
        {"line": 3, "field": "amount", "message": body["errors"][0]["message"]}
    ]
    done = cli(str(path), "--skip-bad", "--json")
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {
        "rows": 3, "imported": 2, "customers_created": 1, "duplicates": 0,
        "already_imported": 0, "bad_rows": 1, "errors": body["errors"],
        "ignored_columns": ["note"]}  # fmt: skip
    again = cli(str(path), "--skip-bad")
    assert again.exit_code == 0
    assert "imported orders:    0" in again.stdout and "already imported:   2" in again.stdout


def test_cli_refuses_an_unusable_file_with_exit_code_2(cli, engine, tmp_path):
    missing = cli(str(write(tmp_path, "customer_ref,date\nP1,2024-05-01\n")))
    assert missing.exit_code == 2
    assert "missing required column(s): amount" in missing.stderr
    assert missing.stdout == ""
    assert cli(str(tmp_path / "absent.csv")).exit_code == 2
    leaked = cli(str(write(tmp_path, f'{HEADER}\n"{INJECTION}",2024-05-01,1\n')), "--json")
    assert leaked.exit_code == 1 and INJECTION not in leaked.output
    assert counts(engine) == EMPTY
