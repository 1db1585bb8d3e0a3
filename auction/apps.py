from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuctionConfig(AppConfig):
    name = "auction"
    verbose_name = _("Auctions")

    def ready(self) -> None:
        from auction import jobs as auction_jobs
        from auction import selectors as auction_selectors
        from auction import services as auction_services
        from auction.services import AUDIT_ACTIONS
        from core import audit, deadlines, jobs, timeline

        audit.register_actions(AUDIT_ACTIONS)
        deadlines.register("auction", auction_selectors.open_deadlines)
        timeline.register("auction", auction_selectors.case_objects)
        jobs.register("rounds.open", auction_jobs.open_due_rounds)
        jobs.register("court.deadlines", auction_services.notify_deadlines)
        jobs.register("rounds.close", auction_jobs.close_due_rounds)
