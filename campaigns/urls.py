from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_index, name="index"),
    path("<int:campaign_id>/cases/", views.campaign_cases_view, name="cases"),
    path("<int:campaign_id>/cases/tag/", views.campaign_tag_view, name="tag"),
]
