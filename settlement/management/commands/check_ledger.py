import sys
from typing import Any

from django.core.management.base import BaseCommand

from settlement.selectors import check_ledger


class Command(BaseCommand):
    help = ("Verify the ledger: every transaction balances, every account balance equals the sum of its entries, "
            "and the balances agree with the deposits, receipts, payouts and balance payments. Exits 1 on a problem.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = check_ledger()
        if result.ok:
            self.stdout.write(f"ledger OK: {result.transactions} transactions, {result.accounts} accounts")
            return
        self.stderr.write(f"ledger check FAILED ({len(result.problems)} problems):")
        for problem in result.problems:
            self.stderr.write(f"  - {problem}")
        sys.exit(1)
