from django.db import migrations

ROLES = ["bidder", "court_staff", "panel", "finance", "supervisor"]


def seed(apps, schema_editor):
    from core.calendar_seed import china_calendar

    apps.get_model("core", "AuditChainHead").objects.get_or_create(id=1)
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    CalendarDay = apps.get_model("core", "CalendarDay")
    for day, kind, name in china_calendar([2024, 2025, 2026, 2027]):
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": kind, "name": name[:100],
                                                              "source": "holidays package (seed)"})


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
