from django.urls import path

from exchange import views

app_name = "exchange"
urlpatterns = [
    path("", views.message_list, name="messages"),
    path("messages/<int:message_id>/resend/", views.message_resend_view, name="resend"),
]
