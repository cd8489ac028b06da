from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases_behind, name="cases"),
    path("posts/<str:kind>/", views.posts, name="posts"),
    path("campaigns/<int:campaign_id>/", views.campaign, name="campaign"),
    path("export/<str:kind>.<str:fmt>", views.export, name="export"),
    path("export/<int:job_id>/", views.export_job, name="export_job"),
    path("export/<int:job_id>/download/", views.export_download, name="export_download"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/pdf/", views.bulletin_pdf_start, name="bulletin_pdf"),
    path("bulletin/pdf/<int:job_id>/", views.bulletin_job, name="bulletin_job"),
    path("bulletin/pdf/<int:job_id>/download/", views.bulletin_download, name="bulletin_download"),
    path("bulletin/issues/", views.bulletin_issues, name="issues"),
    path("bulletin/issues/<int:issue_id>/", views.bulletin_issue, name="issue"),
    path("bulletin/issues/<int:issue_id>/pdf/", views.bulletin_issue_pdf, name="issue_pdf"),
    path("allocation/", views.allocation_page, name="allocation"),
    path("allocation.<str:fmt>", views.allocation_page, name="allocation_export"),
]
