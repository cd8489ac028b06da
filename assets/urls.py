from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("", views.asset_index, name="index"),
    path("<int:asset_id>/", views.asset_detail, name="detail"),
    path("<int:asset_id>/census/<int:census_id>/", views.census_finding, name="census_finding"),
    path("censuses/<int:census_id>/", views.census_detail, name="census"),
]
