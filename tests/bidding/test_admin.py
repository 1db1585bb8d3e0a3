"""The admin: barred persons are added through the service (hash and mask only); registrations,
which carry codes, appear only once their round has finished (WP art.18); identities only masked."""

from __future__ import annotations

import pytest
from django.test import Client

from bidding.models import BarredPerson
from core.models import User
from tests.bidding.conftest import register, resident_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = User.objects.create_superuser("root", "root@example.cn", "a-long-pass-phrase-9")
    client = Client()
    client.force_login(user)
    return client


def test_admin_adds_a_person_barred_at_every_court(admin_client):
    number = resident_id(seq=950)
    form = {"category": "platform", "court": "", "relation": "", "kind": "individual", "name": "平台员工甲",
            "id_type": "resident_id", "id_number": number, "nationality": "", "legal_representative": ""}
    bad = admin_client.post("/admin/bidding/barredperson/add/", dict(form, id_number=number[:17] + "Y"),
                            HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and not BarredPerson.objects.exists()
    response = admin_client.post("/admin/bidding/barredperson/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BarredPerson.objects.get()
    assert entry.court is None and entry.id_masked.endswith(number[-4:])
    assert number not in str(entry.__dict__)
    listing = admin_client.get("/admin/bidding/barredperson/").content.decode()
    assert number not in listing and entry.id_masked in listing


def test_admin_lists_registrations_only_of_finished_rounds(admin_client, alice, bidding_round, finance, frozen):
    reg = register(alice, bidding_round, finance=finance)
    assert reg.code not in admin_client.get("/admin/bidding/registration/").content.decode()
    assert admin_client.get(f"/admin/bidding/registration/{reg.pk}/change/").status_code == 302  # not found
    frozen.set(bidding_round.effective_end)
    from bidding import services

    services.close_due_rounds()
    assert reg.code in admin_client.get("/admin/bidding/registration/").content.decode()


def test_admin_profile_shows_the_masked_number_only(admin_client, alice):
    profile = alice.bidder_profile
    page = admin_client.get(f"/admin/bidding/bidderprofile/{profile.pk}/change/").content.decode()
    assert profile.id_masked in page and profile.id_number_encrypted not in page and profile.id_hash not in page
