from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("<int:pk>/", views.permalink, name="permalink"),
    path("<int:pk>/thread/", views.thread, name="thread"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/like/", views.like, name="like"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/pick/", views.pick, name="pick"),
    path("<int:pk>/approve/", views.moderate_approve, name="approve"),
    path("<int:pk>/remove/", views.moderate_remove, name="remove"),
    path("<int:pk>/appeal/", views.appeal, name="appeal"),
    path("<int:pk>/illegal/", views.notice, name="notice_comment"),
    path("story/<int:article_pk>/illegal/", views.notice, name="notice_story"),
    path("notices/<str:reference>/", views.notice_done, name="notice_done"),
    path("story/<int:article_pk>/", views.story_threads, name="story_threads"),
    path("story/<int:article_pk>/all/", views.story_all, name="story_all"),
    path("story/<int:article_pk>/post/", views.post, name="post"),
    # <str:> so that any version answers in JSON (a 400 saying why), never with the site's 404 page.
    path("story/<str:article_pk>/since/<str:version>/", views.live_since, name="live_since"),
    path("story/<str:article_pk>/new/<str:version>/", views.live_new, name="live_new"),
    path("story/<int:article_pk>/controls/", views.controls, name="controls"),
    path("member/<int:pk>/", views.member, name="member"),
    path("member/<int:pk>/mute/", views.mute, name="mute"),
    path("member/<int:pk>/history/", views.reader_history, name="reader_history"),
    path("member/<int:pk>/restrict/", views.reader_restrict, name="reader_restrict"),
]
