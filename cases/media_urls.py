"""/media/…: every uploaded file goes through cases.media (who may see it), never straight from disk."""

from django.urls import path

from cases.media import media_file

app_name = "media"
urlpatterns = [path("<path:path>", media_file, name="file")]
