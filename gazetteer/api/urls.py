from django.urls import path

from gazetteer.api import views

app_name = "gazetteer_api"
urlpatterns = [
    path("search/", views.GazetteerSearchApi.as_view(), name="search"),
    path("reverse/", views.GazetteerReverseApi.as_view(), name="reverse"),
]
