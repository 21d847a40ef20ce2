from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("member/<int:pk>/", views.member, name="member"),
]
