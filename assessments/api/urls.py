from django.urls import path

from assessments.api import views

app_name = "assessments_api"
urlpatterns = [
    path("figures/", views.FiguresApi.as_view(), name="figures"),
    path("trend/", views.TrendApi.as_view(), name="trend"),
    path("rankings/<str:kind>/", views.RankingApi.as_view(), name="ranking"),
    path("breakdown/<str:by>/", views.BreakdownApi.as_view(), name="breakdown"),
    path("map/", views.MapApi.as_view(), name="map"),
    path("posts/<str:kind>/", views.PostRankingApi.as_view(), name="posts"),
    path("campaigns/<int:campaign_id>/", views.CampaignFiguresApi.as_view(), name="campaign"),
    path("alerts/", views.AlertFiguresApi.as_view(), name="alerts"),
    path("allocation/", views.AllocationApi.as_view(), name="allocation"),
    path("bulletin-issues/", views.BulletinIssueListApi.as_view(), name="bulletin_issues"),
    path("bulletin-issues/<int:issue_id>/", views.BulletinIssueApi.as_view(), name="bulletin_issue"),
]
