from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import views
from accounts.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    # My account: password, two-factor login, API tokens of my devices.
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="account_password"),
    path("account/otp/verify/", views.otp_verify_view, name="account_otp_verify"),
    path("account/otp/enrol/", views.otp_enrol_view, name="account_otp_enrol"),
    path("account/otp/recovery-codes/", views.otp_recovery_codes_view, name="account_otp_recovery_codes"),
    path("account/otp/remove/", views.otp_remove_view, name="account_otp_remove"),
    path("account/tokens/", views.token_create_view, name="account_token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke_view, name="account_token_revoke"),
]
