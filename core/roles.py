"""Roles. Each role is a Django group of the same name, created by migration; a user may hold
several (a judge on a collegial panel is usually also court staff). The public needs no role."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    BIDDER = "bidder", _("Bidder")
    COURT_STAFF = "court_staff", _("Court enforcement staff")
    PANEL = "panel", _("Collegial panel")
    FINANCE = "finance", _("Finance staff")
    APPROVER = "approver", _("Payout approver (head of the enforcement bureau)")
    SUPERVISOR = "supervisor", _("Supervisor / auditor")


STAFF_ROLES = frozenset({Role.COURT_STAFF, Role.PANEL, Role.FINANCE, Role.APPROVER, Role.SUPERVISOR})


def roles_of(user: Any) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_fapai_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._fapai_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_staff_member(user: Any) -> bool:
    return has_role(user, *STAFF_ROLES)
