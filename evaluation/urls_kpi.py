"""KPI pages: /kpi/ (the user's area), /kpi/<area code>/ (drill-down) and report exports."""

from django.urls import path

from evaluation.views import kpi

urlpatterns = [
    path("kpi/", kpi.dashboard, name="kpi_home"),
    path("kpi/tiles/", kpi.tiles, name="kpi_tiles"),
    path("kpi/exports/<int:pk>/", kpi.export_status, name="kpi_export_status"),
    path("kpi/exports/<int:pk>/download/", kpi.export_download, name="kpi_export_download"),
    path("kpi/<str:code>/", kpi.dashboard, name="kpi_area"),
    path("kpi/<str:code>/export/", kpi.export, name="kpi_export"),
]
