from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BiddingConfig(AppConfig):
    name = "bidding"
    verbose_name = _("Bidding")

    def ready(self) -> None:
        from bidding import events, services
        from bidding.screening import services as screening
        from core import audit, jobs
        from settlement import hooks

        audit.register_actions(services.AUDIT_ACTIONS)
        audit.register_actions(screening.AUDIT_ACTIONS)
        jobs.register("bidding.screening", screening.screen_finished_rounds)
        jobs.register("bidding.reminders", services.send_end_reminders)
        hooks.on_deposit_held(services.on_deposit_held)
        # Replaces auction's job of the same name (this app is ready after auction's): closing a round
        # also settles its deposits and opens the winner's balance, in the same transaction.
        jobs.register("rounds.close", services.close_due_rounds)
        events.connect()  # round status changes go out as live `status` events
