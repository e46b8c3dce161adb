"""The Celery application. Settings come from Django's settings (CELERY_* names).

Without a broker configured (no CELERY_BROKER_URL or REDIS_URL), tasks run in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
