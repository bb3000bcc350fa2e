"""``marketplace ledger check``: exit 0 when the books balance and agree with orders and payouts."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    @main.group("ledger")
    def ledger_group() -> None:
        """The double-entry ledger of buyer payments, commission, seller payables, payouts and refunds."""

    @ledger_group.command("check")
    def check_command() -> None:
        """Verify every transaction balances and the ledger agrees with orders, refunds and payouts."""
        from marketplace.config import Settings
        from marketplace.db import Database
        from marketplace.ledger.check import check

        with Database(Settings.from_env().database_url) as database:
            with database.new_session() as session:
                problems = check(session)
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            raise click.ClickException(f"the ledger has {len(problems)} problem(s)")
        click.echo("ledger ok: every transaction balances and agrees with orders, refunds and payouts")
