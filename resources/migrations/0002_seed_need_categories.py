"""Seed the default need categories (shared/DOMAIN.md); the list stays editable per city."""

from django.db import migrations

# Frozen copy: a migration must not depend on code that may change later.
DEFAULT_CATEGORIES = [
    ("elderly_care", "老年照料"),
    ("child_care", "儿童托管"),
    ("meal_assistance", "助餐"),
    ("health", "医疗健康"),
    ("culture_sports", "文化体育"),
    ("housekeeping", "家政"),
    ("sanitation", "环境卫生"),
    ("parking_traffic", "停车交通"),
    ("safety", "治安安全"),
    ("neighbour_disputes", "邻里纠纷"),
    ("accessibility", "无障碍"),
    ("employment", "就业"),
    ("legal_aid", "法律援助"),
    ("education", "教育"),
]


def seed_categories(apps, schema_editor):
    NeedCategory = apps.get_model("resources", "NeedCategory")
    for position, (code, name) in enumerate(DEFAULT_CATEGORIES, start=1):
        # Steps of ten leave room for a city to slot its own categories in between.
        NeedCategory.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": position * 10}
        )


def unseed_categories(apps, schema_editor):
    # Only categories nothing refers to; a category in use stays (and so does its history).
    NeedCategory = apps.get_model("resources", "NeedCategory")
    codes = [code for code, _name in DEFAULT_CATEGORIES]
    unused = NeedCategory.objects.filter(
        code__in=codes, needs__isnull=True, resources__isnull=True, children__isnull=True
    ).values_list("pk", flat=True)
    NeedCategory.objects.filter(pk__in=list(unused)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("resources", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed_categories, unseed_categories),
    ]
