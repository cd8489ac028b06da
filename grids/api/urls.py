from django.urls import path

from grids.api import views

app_name = "grids_api"
urlpatterns = [
    path("features/", views.GridFeaturesApi.as_view(), name="features"),
    path("locate/", views.LocateApi.as_view(), name="locate"),
    path("places/", views.PlaceFeaturesApi.as_view(), name="places"),
    path("<int:grid_id>/", views.GridDetailApi.as_view(), name="detail"),
]
