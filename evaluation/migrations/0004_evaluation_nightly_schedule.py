"""The nightly annual evaluation in the beat schedule (this year's results, every street)."""

from django.db import migrations

SCHEDULE = {
    "name": "evaluation-nightly",
    "task": "evaluation.compute_evaluation",
    "description": "Compute this year's annual evaluation of members and units (published "
    "streets stay as published)",
    "minute": "45",
    "hour": "3",
}


def seed_schedule(apps, schema_editor):
    ScheduledJob = apps.get_model("portal", "ScheduledJob")
    ScheduledJob.objects.get_or_create(name=SCHEDULE["name"], defaults=SCHEDULE)


def unseed_schedule(apps, schema_editor):
    apps.get_model("portal", "ScheduledJob").objects.filter(name=SCHEDULE["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0003_annual_evaluation_and_ratings"),
    ]

    operations = [migrations.RunPython(seed_schedule, unseed_schedule)]
