from django.urls import path

from devices.api import views

app_name = "devices_api"
urlpatterns = [
    path("alerts/", views.AlertApi.as_view(), name="alerts"),
    path("alerts/list/", views.AlertListApi.as_view(), name="alerts_list"),
]
