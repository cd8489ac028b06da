from django.urls import path

from citizens import views

app_name = "citizens"
urlpatterns = [
    path("", views.report_new, name="report"),
    path("receipt/<str:code>/", views.receipt, name="receipt"),
    path("track/", views.track, name="track"),
    path("track/<str:code>/", views.status_page, name="status"),
    path("track/<str:code>.json", views.status_json, name="status_json"),
    path("track/<str:code>/rate/", views.rate, name="rate"),
]
