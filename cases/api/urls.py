from django.urls import path

from cases.api import actions, cases, catalogue, command

app_name = "cases_api"
urlpatterns = [
    path("cases/", cases.CasesApi.as_view(), name="cases"),
    path("cases/duplicates/", cases.CaseDuplicatesApi.as_view(), name="duplicates"),
    path("cases/map/", command.CaseMapApi.as_view(), name="map"),
    path("cases/arrivals/", command.CaseArrivalsApi.as_view(), name="arrivals"),
    path("cases/batch/", command.CaseBatchApi.as_view(), name="batch"),
    path("cases/wall/", command.CaseWallApi.as_view(), name="wall"),
    path("cases/<int:case_id>/", cases.CaseDetailApi.as_view(), name="detail"),
    # One URL (and one documented operation) per action, named after it: cases_api:dispatch …
    *(
        path(f"cases/<int:case_id>/actions/{action}/", view.as_view(), name=action)
        for action, view in actions.ACTION_VIEWS.items()
    ),
    path("cases/<int:case_id>/actions/<str:action>/", actions.CaseUnknownActionApi.as_view(), name="unknown_action"),
    path("categories/", catalogue.CategoryListApi.as_view(), name="categories"),
    path("departments/", catalogue.DepartmentListApi.as_view(), name="departments"),
]
