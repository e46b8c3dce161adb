"""The default beat schedule; operators change it in the admin (portal.ScheduledJob)."""

from django.db import migrations

SCHEDULE = [
    {
        "name": "matching-nightly",
        "task": "resources.match_all_streets",
        "description": "Match open needs with resources, one run per street",
        "minute": "0",
        "hour": "2",
    },
    {
        "name": "points-nightly",
        "task": "evaluation.award_points",
        "description": "Award points for verified hours, enrollments, projects and ratings",
        "minute": "30",
        "hour": "2",
    },
    {
        "name": "response-clock",
        "task": "resources.response_clock",
        "description": "Escalate needs whose response clock ran out; warn before it does",
        "minute": "*/15",
        "hour": "*",
    },
]


def seed(apps, schema_editor):
    ScheduledJob = apps.get_model("portal", "ScheduledJob")
    for row in SCHEDULE:
        ScheduledJob.objects.get_or_create(name=row["name"], defaults=row)


def unseed(apps, schema_editor):
    ScheduledJob = apps.get_model("portal", "ScheduledJob")
    ScheduledJob.objects.filter(name__in=[row["name"] for row in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_jobs_and_notifications")]

    operations = [migrations.RunPython(seed, unseed)]
