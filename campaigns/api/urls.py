from django.urls import path

from campaigns.api import views

app_name = "campaigns_api"
urlpatterns = [
    path("", views.CampaignListApi.as_view(), name="list"),
    path("<int:campaign_id>/cases/", views.CampaignCasesApi.as_view(), name="cases"),
]
