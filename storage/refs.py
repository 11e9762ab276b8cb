"""Human case references like CMP-2026-00042, allocated safely under concurrency.

One atomic `INSERT .. ON CONFLICT DO UPDATE .. RETURNING` per reference: no count-then-insert
race on either backend, and on PostgreSQL the counter row lock serialises concurrent workers
until their transactions commit, so references are unique and gap-free.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.tables import RefCounterRow


def next_number(session: Session, scope: str) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(RefCounterRow)
        .values(scope=scope, value=1)
        .on_conflict_do_update(
            index_elements=[RefCounterRow.scope], set_={"value": RefCounterRow.value + 1}
        )
        .returning(RefCounterRow.value)
    )
    return int(session.execute(statement).scalar_one())


def allocate_ref(session: Session, prefix: str, year: int) -> str:
    """The next reference for `prefix` in `year`."""
    number = next_number(session, f"{prefix}-{year}")
    return f"{prefix}-{year}-{number:05d}"
