from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_queue, name="queue"),
    path("new/", views.case_new, name="new"),
    path("map/", views.case_map_page, name="map"),
    path("wall/", views.case_wall, name="wall"),
    path("batch/", views.case_batch_apply, name="batch"),
    path("approvals/", views.case_approvals, name="approvals"),
    path("work/", views.case_work, name="work"),
    path("tasks/", views.case_tasks, name="tasks"),
    path("inbox/", views.case_inbox, name="inbox"),
    path("mine/", views.case_mine, name="mine"),
    path("notifications/failed/", views.notifications_failed, name="notifications_failed"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/act/<str:action>/", views.case_act, name="act"),
]
