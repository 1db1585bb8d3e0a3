import pytest

from auction.models import AuctionRound
from tests import builders

S = AuctionRound.Status


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.DRAFT, S.PANEL_APPROVED, S.ANNOUNCED, S.BIDDING, S.SOLD, S.FAILED,
                                    S.STAYED, S.SUSPENDED, S.WITHDRAWN, S.TERMINATED, S.TAKEN_IN_LIEU])
def test_round_reaches_every_status(status, judge, frozen):
    rnd = builders.round_in(status, judge=judge, frozen=frozen, lot_obj=builders.lot(builders.case(judge.court_memberships.first().court)))
    assert rnd.status == status
