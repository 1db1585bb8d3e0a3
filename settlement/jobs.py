"""Clock jobs of the settlement app (run by `manage.py run_clock`); each is idempotent."""

from settlement import reconciliation, services


def settle() -> int:
    """Release the deposits of rounds that finished without a sale; retry refused settlements."""
    return services.settle_due_rounds()


def alerts() -> int:
    """Raise the 24-hour alerts (WP arts.23, 25) and resolve those whose cause has gone."""
    return services.raise_alerts()


def reminders() -> int:
    """Balance reminders at their milestones."""
    return services.send_balance_reminders()


def objections() -> int:
    """Objections to distribution plans whose counter-objection or suit window has passed (CPLI art.510)."""
    return services.objections_expire()


def reconcile() -> int:
    """Once a day: the ledger against Stripe's balance transactions and the imported bank statements."""
    return reconciliation.reconcile_daily()
