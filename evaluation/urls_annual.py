"""URLs of the annual evaluation, ratings, evaluation exports and public disclosure (included
from ``evaluation.urls`` into the ``evaluation`` namespace)."""

from django.urls import path

from evaluation.views import annual, disclosure, exports, published

urlpatterns = [
    # Staff.
    path("staff/evaluation/", annual.results, name="results"),
    path("staff/evaluation/results/<int:pk>/", annual.result_detail, name="result_detail"),
    path("staff/evaluation/results/<int:pk>/adjust/", annual.result_adjust, name="result_adjust"),
    path("staff/evaluation/compute/", annual.compute, name="compute"),
    path("staff/evaluation/publish/", annual.publish, name="publish"),
    path("staff/evaluation/schemes/", annual.schemes, name="schemes"),
    path("staff/evaluation/export.xlsx", exports.evaluation_export, name="evaluation_export"),
    # The people of an area, members and unit contacts.
    path("evaluation/", published.publications, name="publications"),
    path("evaluation/<int:pk>/", published.publication, name="publication"),
    path("me/evaluation/", published.my_evaluation, name="my_evaluation"),
    path(
        "me/evaluation/activities/<int:pk>/rate/",
        published.rate_activity_view,
        name="rate_activity",
    ),
    # Everyone, no sign-in (阳光社区).
    path("public/communities/", disclosure.community_index, name="public_communities"),
    path("public/communities/<str:code>/", disclosure.community_page, name="public_community"),
]
