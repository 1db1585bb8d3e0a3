from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import clock


class User(AbstractUser):
    """Every person who logs in: bidders, court staff, panel judges, finance staff, supervisors.
    Roles are Django groups (see core.roles); the courts a staff member works for are in
    auction.CourtMembership."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.get_username()


class AuditRecord(models.Model):
    """One link of the audit hash chain. Append-only: nothing updates or deletes these rows, and
    `verify_audit` recomputes every hash to prove it."""

    position = models.BigIntegerField(_("position"), unique=True)
    at = models.DateTimeField(_("time"), default=clock.now)
    actor = models.ForeignKey(
        "core.User", verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object id"), max_length=64)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["position"]
        indexes = [models.Index(fields=["object_type", "object_id", "position"])]

    def __str__(self) -> str:
        return f"#{self.position} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row holding the chain's tip. Appending locks it, so links are written one at a time
    in position order, whatever the number of processes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.BigIntegerField(_("position"), default=0)
    hash = models.CharField(_("hash"), max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.position}"


class CalendarDay(models.Model):
    """Exceptions to the default week (Mon–Fri working, Sat–Sun rest) for counting legal periods
    (CPL art.85): statutory holidays, and weekend days that are working days because of an official
    adjustment (调休). Court staff keep it current in the admin; `calendar_sync` seeds it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday (rest day)")
        WORKDAY = "workday", _("Adjusted working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class Sighting(models.Model):
    """An IP address or a device (a random long-lived cookie) a logged-in user was seen with. Kept for
    collusion screening (accounts that share a device or a rare address) and nothing else."""

    class Kind(models.TextChoices):
        IP = "ip", _("IP address")
        DEVICE = "device", _("device")

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sightings")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=64)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))

    class Meta:
        verbose_name = _("sighting")
        verbose_name_plural = _("sightings")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "value"], name="unique_sighting")]
        indexes = [models.Index(fields=["kind", "value"])]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class UserNotification(models.Model):
    """A notice to one user, shown in the app (the bell) and, where the user has an email address,
    mailed after the commit. Kept as a kind with parameters and rendered in the reader's language
    (core.notify)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=32)
    params = models.JSONField(_("parameters"), default=dict)
    url = models.CharField(_("link"), max_length=300, blank=True)
    key = models.CharField(_("key"), max_length=120, help_text=_("Makes the same notice to the same user unique."))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_notification_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"
