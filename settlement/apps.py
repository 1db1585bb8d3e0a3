from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("Settlement")

    def ready(self) -> None:
        from core import audit, case_file, deadlines, jobs, timeline
        from settlement import jobs as settlement_jobs
        from settlement import reconciliation
        from settlement import selectors as settlement_selectors
        from settlement.services import AUDIT_ACTIONS

        audit.register_actions(AUDIT_ACTIONS)
        deadlines.register("settlement", settlement_selectors.open_deadlines)
        timeline.register("settlement", settlement_selectors.case_objects)
        case_file.register("settlement", settlement_selectors.party_sections)
        audit.register_actions(reconciliation.AUDIT_ACTIONS)
        jobs.register("settlement.settle", settlement_jobs.settle)
        jobs.register("settlement.alerts", settlement_jobs.alerts)
        jobs.register("settlement.reminders", settlement_jobs.reminders)
        jobs.register("settlement.objections", settlement_jobs.objections)
        jobs.register("settlement.reconcile", settlement_jobs.reconcile)
