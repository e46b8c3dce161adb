from reporting import urls_activities, urls_checkin, urls_enrollment, urls_records

app_name = "reporting"

urlpatterns = [
    *urls_enrollment.urlpatterns,
    *urls_activities.urlpatterns,
    *urls_checkin.urlpatterns,
    *urls_records.urlpatterns,
]
