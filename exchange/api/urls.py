from django.urls import path

from exchange.api import views

app_name = "exchange_api"
urlpatterns = [
    path("orders/", views.OrderApi.as_view(), name="orders"),
    path("orders/<str:external_id>/", views.OrderDetailApi.as_view(), name="order"),
]
