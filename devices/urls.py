from django.urls import path

from devices import views

app_name = "devices"
urlpatterns = [
    path("", views.device_index, name="index"),
    path("<int:device_id>/", views.device_detail, name="detail"),
    path("alerts/", views.alert_queue, name="alerts"),
    path("alerts/<int:alert_id>/review/", views.alert_review_view, name="review"),
]
