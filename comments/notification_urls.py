from django.urls import path

from comments import views

app_name = "notifications"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("read/", views.notifications_read, name="read_all"),
    path("<int:pk>/read/", views.notifications_read, name="read"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
