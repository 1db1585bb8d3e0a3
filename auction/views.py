"""The public marketplace (WP art.3: everything is public, no login): the listing, the results
archive and the lot page. Views only parse the query string, call selectors and services, and render."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from auction import case_number, rules, selectors, services
from auction.models import AuctionRound, Lot, LotAttachment
from core import clock, ratelimit
from core.money import parse_yuan
from core.sightings import client_ip

S = AuctionRound.Status
ALL = ""
LISTING_SORTS = [
    ("ending", _("Ending soonest")),
    ("newest", _("Newest")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]
RESULT_SORTS = [
    ("ending", _("Most recently closed")),
    ("newest", _("Newest")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]
# The listing offers every public status a visitor can meet ("ended" lasts only inside the closing transaction).
LISTING_STATUSES = [s for s in selectors.PUBLIC_STATUSES if s != S.ENDED]
# Outcomes and stops announced in a banner on the lot page, with the reason the court published (WP art.28).
BANNER_STATUSES = [S.STAYED, S.SUSPENDED, S.WITHDRAWN, S.TERMINATED, S.FAILED, S.SOLD, S.TAKEN_IN_LIEU]
# Sessions remember the lots already counted as viewed; bounded so a long session cannot grow without limit.
VIEWED_SESSION_KEY = "fapai_viewed_lots"
VIEWED_REMEMBERED = 500


class RoundFilterForm(forms.Form):
    """The search and filter bar of the listing and the results archive. Invalid filters are shown
    with their error and left out; the valid ones still apply."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Title, address, case number or court")}))
    court = forms.TypedChoiceField(label=_("Court"), required=False, coerce=int, empty_value=None)
    asset_type = forms.ChoiceField(label=_("Asset type"), required=False)
    kind = forms.ChoiceField(label=_("Round"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    city = forms.ChoiceField(label=_("City"), required=False)
    price_min = forms.CharField(label=_("Price from (yuan)"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    price_max = forms.CharField(label=_("Price to (yuan)"), required=False, max_length=30,
                                widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, data: Any, *, statuses: Sequence[str], sorts: Sequence[tuple[str, Any]]) -> None:
        super().__init__(data, label_suffix="")
        choices = selectors.filter_choices()
        labels = dict(S.choices)
        self._choices("court", [(ALL, _("All courts")), *((c.pk, c.display_name) for c in choices["courts"])])
        self._choices("asset_type", [(ALL, _("All asset types")), *Lot.AssetType.choices])
        self._choices("kind", [(ALL, _("All rounds")), *AuctionRound.Kind.choices])
        self._choices("status", [(ALL, _("All statuses")), *((s, labels[s]) for s in statuses)])
        self._choices("city", [(ALL, _("All cities")), *((c, c) for c in choices["cities"])])
        self._choices("sort", sorts)

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("q", "sort")]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in ("q", "sort")]

    def more_in_use(self) -> bool:
        """Keep the extra filters open when one of them is set, so the visitor sees what applies."""
        return any(self.data.get(field.name) for field in self.more_fields())

    def _choices(self, name: str, choices: Sequence[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def _yuan(self, name: str) -> int | None:
        raw = self.cleaned_data[name].strip()
        return parse_yuan(raw) if raw else None

    def clean_price_min(self) -> int | None:
        return self._yuan("price_min")

    def clean_price_max(self) -> int | None:
        return self._yuan("price_max")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            self.add_error("price_max", _("The upper price is below the lower price."))
        return data

    def filters(self) -> selectors.RoundFilters:
        self.is_valid()
        data = self.cleaned_data
        for name in self.errors:
            if name in self.fields:
                # Point the field at its error message for screen readers.
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_error"
        return selectors.RoundFilters(
            q=(data.get("q") or "").strip(), court=data.get("court"), asset_type=data.get("asset_type") or "",
            kind=data.get("kind") or "", status=data.get("status") or "", city=data.get("city") or "",
            price_min_fen=data.get("price_min"), price_max_fen=data.get("price_max"),
            sort=data.get("sort") or "ending",
        )


def _round_list(request: HttpRequest, template: str, *, closed_only: bool) -> HttpResponse:
    statuses = selectors.RESULT_STATUSES if closed_only else LISTING_STATUSES
    form = RoundFilterForm(request.GET, statuses=statuses, sorts=RESULT_SORTS if closed_only else LISTING_SORTS)
    rounds = selectors.with_card_data(selectors.round_search(form.filters(), closed_only=closed_only))
    page = Paginator(rounds, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    for rnd in page:
        rnd.phase = selectors.round_phase(rnd, now)  # type: ignore[attr-defined]
    page_numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return render(request, template, {"form": form, "page_obj": page, "page_numbers": page_numbers, "now": now})


def home(request: HttpRequest) -> HttpResponse:
    """Every public round (WP art.3); by default the rounds still to be bid on come first."""
    return _round_list(request, "auction/public/listing.html", closed_only=False)


def results(request: HttpRequest) -> HttpResponse:
    """The archive of closed rounds with their outcome and published reason."""
    return _round_list(request, "auction/public/results.html", closed_only=True)


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def lot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The lot page: price box, key facts and the WP art.13 package in tabs. Counts one view per
    session (围观)."""
    lot = selectors.lot_public(pk)
    if lot is None:
        raise Http404
    rnd = selectors.lot_current_round(lot, _int_or_none(request.GET.get("round")))
    viewed: list[int] = request.session.get(VIEWED_SESSION_KEY, [])
    if lot.pk not in viewed:
        services.lot_record_view(lot)
        lot.refresh_from_db(fields=["view_count"])
        request.session[VIEWED_SESSION_KEY] = [*viewed, lot.pk][-VIEWED_REMEMBERED:]
    attachments = list(lot.attachments.all())
    now = clock.now()
    context = {
        "lot": lot,
        "rnd": rnd,
        "court": lot.case.court,
        "rounds": list(lot.rounds.all()),
        "phase": selectors.round_phase(rnd, now),
        "now": now,
        "photos": list(lot.photos.all()),
        "attachments": attachments,
        "judgments": [a for a in attachments if a.kind == LotAttachment.Kind.JUDGMENT],
        "pricing_documents": [a for a in attachments if a.kind == LotAttachment.Kind.PRICING_BASIS],
        "priority_holders": list(lot.priority_holders.all()),
        "encumbrances": list(lot.encumbrances.all()),
        "leases": list(lot.leases.all()),
        "taxes": list(lot.tax_allocations.all()),
        "special_prompts": [label for _key, label in rules.SPECIAL_PROMPTS],
        "extension_minutes": rules.EXTENSION // timedelta(minutes=1),
        "sell_off_contest_hours": rules.SELL_OFF_CONTEST // timedelta(hours=1),
        "banner_statuses": BANNER_STATUSES,
        "notice_statuses": selectors.ACTIVE_STATUSES,
    }
    return render(request, "auction/public/lot_detail.html", context)


# --- the party's case file (执行节点查询) ------------------------------------------------------------------

# The party a case-file session was opened for, with its code's fingerprint (a new code revokes it).
PARTY_SESSION_KEY = "fapai_party_access"


class CaseLookupForm(forms.Form):
    case_number = forms.CharField(label=_("Case number"), max_length=40,
                                  widget=forms.TextInput(attrs={"placeholder": "（2025）京0105执1234号",
                                                                "autocomplete": "off"}))
    access_code = forms.CharField(label=_("Access code"), max_length=20,
                                  help_text=_("The 12-character code the court gave you with its notice."),
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                                "autocapitalize": "characters"}))


def case_lookup(request: HttpRequest) -> HttpResponse:
    """Parties follow their case: case number plus the access code the court issued to the party."""
    form = CaseLookupForm(request.POST or None, auto_id="lookup_%s")
    status = 200
    if request.method == "POST":
        number = case_number.normalise(str(request.POST.get("case_number", "")))
        verdict = ratelimit.check(("case_lookup_ip", client_ip(request)), ("case_lookup_case", number))
        if not verdict.allowed:
            return ratelimit.refuse_form(form, verdict, lambda code: render(
                request, "auction/public/case_lookup.html", {"form": form}, status=code))
    if request.method == "POST" and form.is_valid():
        try:
            party = services.check_party_access(case_number=form.cleaned_data["case_number"],
                                                code=form.cleaned_data["access_code"])
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
            status = 422
        else:
            request.session.cycle_key()  # a new session for the case file: nothing carried over
            request.session[PARTY_SESSION_KEY] = {"party": party.pk,
                                                  "code": selectors.party_access_fingerprint(party)}
            return redirect("party_case_file")
    elif request.method == "POST":
        status = 422
    return render(request, "auction/public/case_lookup.html", {"form": form}, status=status)


def party_case_file(request: HttpRequest) -> HttpResponse:
    access = request.session.get(PARTY_SESSION_KEY) or {}
    party = selectors.party_session_valid(access.get("party"), access.get("code"))
    if party is None:
        request.session.pop(PARTY_SESSION_KEY, None)
        return redirect("case_lookup")
    return render(request, "auction/public/party_case_file.html", selectors.party_case_file(party))


@require_POST
def case_file_leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(PARTY_SESSION_KEY, None)
    return redirect("case_lookup")
