from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionConfig(AppConfig):
    name = "auction"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from auction import jobs as auction_jobs
        from auction.services import AUDIT_ACTIONS
        from core import audit, jobs

        audit.register_actions(AUDIT_ACTIONS)
        jobs.register("rounds.open", auction_jobs.open_due_rounds)
        jobs.register("rounds.close", auction_jobs.close_due_rounds)
