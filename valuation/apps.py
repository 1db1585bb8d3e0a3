from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuationConfig(AppConfig):
    name = "valuation"
    verbose_name = _("Valuation")

    def ready(self) -> None:
        from core import audit, case_file, deadlines, jobs, timeline
        from valuation import jobs as valuation_jobs
        from valuation import selectors as valuation_selectors
        from valuation.services import AUDIT_ACTIONS

        audit.register_actions(AUDIT_ACTIONS)
        deadlines.register("valuation", valuation_selectors.open_deadlines)
        timeline.register("valuation", valuation_selectors.case_objects)
        case_file.register("valuation", valuation_selectors.party_sections)
        jobs.register("valuation.reminders", valuation_jobs.send_reminders)
        jobs.register("valuation.hand_over", valuation_jobs.hand_over_late_agencies)
