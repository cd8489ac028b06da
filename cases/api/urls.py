from django.urls import path

from cases.api import views

app_name = "cases_api"
urlpatterns = [
    path("cases/", views.CasesApi.as_view(), name="cases"),
    path("cases/duplicates/", views.CaseDuplicatesApi.as_view(), name="duplicates"),
    path("cases/<int:case_id>/", views.CaseDetailApi.as_view(), name="detail"),
    # One URL (and one documented operation) per action, named after it: cases_api:dispatch …
    *(
        path(f"cases/<int:case_id>/actions/{action}/", view.as_view(), name=action)
        for action, view in views.ACTION_VIEWS.items()
    ),
    path("cases/<int:case_id>/actions/<str:action>/", views.CaseUnknownActionApi.as_view(), name="unknown_action"),
    path("categories/", views.CategoryListApi.as_view(), name="categories"),
    path("departments/", views.DepartmentListApi.as_view(), name="departments"),
]
