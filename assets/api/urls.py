from django.urls import path

from assets.api import views

app_name = "assets_api"
urlpatterns = [
    path("", views.AssetListApi.as_view(), name="list"),
    path("features/", views.AssetFeaturesApi.as_view(), name="features"),
    path("<int:asset_id>/", views.AssetDetailApi.as_view(), name="detail"),
    path("censuses/<int:census_id>/", views.CensusProgressApi.as_view(), name="census"),
    path("censuses/<int:census_id>/findings/", views.CensusFindingApi.as_view(), name="census_findings"),
]
