"""Everything stored about one person, found from the table metadata rather than listed by
hand, so a table added later is exported and forgotten without anyone remembering to.

A row belongs to a person when a column refers to their learner record (a foreign key to
learners.id) or when the table names an account pair in its info (``info={"account":
("platform", "user_id")}``) that matches one of the platform accounts they linked. Tables that
must keep a row for accountability (the audit log) name the columns to blank instead
(``info={"anonymise": (...)}``): those rows keep only an anonymous id.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Column, MetaData, Table, and_, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.learning.models import Base, GroupMember, Identity, Learner, StudyGroup

Account = tuple[str, str]  # (platform, platform user id)


@dataclass(frozen=True)
class AccountTable:
    table: Table
    platform: Column
    user: Column
    anonymise: tuple[str, ...]  # empty: the rows are deleted


def learner_columns(metadata: MetaData = Base.metadata) -> list[Column]:
    """Columns that point at a learner, in dependency order (children before parents)."""
    found = []
    for table in reversed(metadata.sorted_tables):
        for col in table.columns:
            if any(fk.column.table.name == Learner.__tablename__ for fk in col.foreign_keys):
                found.append(col)
    return found


def account_tables(metadata: MetaData = Base.metadata) -> list[AccountTable]:
    found = []
    for table in metadata.sorted_tables:
        pair = table.info.get("account")
        if pair:
            platform, user = (table.c[name] for name in pair)
            found.append(
                AccountTable(table, platform, user, tuple(table.info.get("anonymise", ())))
            )
    return found


def of_accounts(t: AccountTable, accounts: list[Account]):  # type: ignore[no-untyped-def]
    if not accounts:
        return false()
    return or_(*(and_(t.platform == p, t.user == u) for p, u in accounts))


async def accounts_of(s: AsyncSession, learner: Learner | None, fallback: Account) -> list[Account]:
    """Every platform account the person linked (or just this one, if they never enrolled)."""
    if learner is None:
        return [fallback]
    rows = await s.execute(
        select(Identity.platform, Identity.platform_user_id).where(
            Identity.learner_id == learner.id
        )
    )
    return sorted({(p, u) for p, u in rows} | {fallback})


def _jsonable(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _row(table: Table, row) -> dict:  # type: ignore[no-untyped-def]
    return {col.key: _jsonable(row._mapping[col]) for col in table.columns}


async def collect(
    s: AsyncSession, learner: Learner | None, accounts: list[Account]
) -> dict[str, list[dict]]:
    """Every row stored about the person, by table name (empty tables left out)."""
    data: dict[str, list[dict]] = {}

    async def add(table: Table, where) -> None:  # type: ignore[no-untyped-def]
        rows = [_row(table, r) for r in await s.execute(select(table).where(where))]
        seen = data.setdefault(table.name, [])
        seen.extend(r for r in rows if r not in seen)

    if learner is not None:
        await add(Learner.__table__, Learner.id == learner.id)
        for col in learner_columns():
            await add(col.table, col == learner.id)
        groups = select(GroupMember.group_id).where(GroupMember.learner_id == learner.id)
        await add(StudyGroup.__table__, StudyGroup.id.in_(groups))
    for t in account_tables():
        await add(t.table, of_accounts(t, accounts))
    return {name: rows for name, rows in data.items() if rows}


async def erase(s: AsyncSession, learner: Learner | None, accounts: list[Account]) -> int:
    """Delete (or anonymise, where the table asks for it) every row about the person; the
    caller commits. Returns how many rows were deleted or anonymised."""
    changed = 0
    anonymous = "anon-" + secrets.token_hex(6)
    for t in account_tables():
        where = of_accounts(t, accounts)
        if t.anonymise:
            blank = {name: None for name in t.anonymise if name != t.user.key}
            stmt = update(t.table).where(where).values({t.user.key: anonymous, **blank})
        else:
            stmt = delete(t.table).where(where)
        changed += (await s.execute(stmt)).rowcount or 0
    if learner is not None:
        for col in learner_columns():
            if col.nullable:
                stmt = update(col.table).where(col == learner.id).values({col.key: None})
            else:
                stmt = delete(col.table).where(col == learner.id)
            changed += (await s.execute(stmt)).rowcount or 0
        await s.delete(learner)
        await s.flush()
        changed += 1
    return changed
