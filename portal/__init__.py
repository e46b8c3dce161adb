"""Baodao's project package and platform core app."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
