from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path
from django.views.static import serve

from articles.sitemaps import SITEMAPS, NewsSitemap
from newsroom import views
from newsroom.api import api, no_such_operation

# Our own 400 and 500 pages; 403 and 404 are Django's handlers rendering templates/403.html and 404.html.
handler400 = "newsroom.views.bad_request"
handler500 = "newsroom.views.server_error"

accounts = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("settings/", views.account_settings, name="account"),
    path("language/", views.language_choose, name="language"),
    path("confirm/again/", views.confirmation_resend, name="confirmation_resend"),
    path("confirm/<str:token>/", views.confirm_email, name="confirm_email"),
    path("delete/", views.account_delete, name="account_delete"),
    path("muted/", views.account_muted, name="account_muted"),
    path("tokens/", views.account_tokens, name="account_tokens"),
    path("tokens/<int:pk>/revoke/", views.account_token_revoke, name="account_token_revoke"),
    path("comments.json", views.account_comments_json, name="account_comments_json"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/", no_such_operation),
    path("accounts/", include(accounts)),
    path("@<str:handle>/", views.profile, name="profile"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("jsi18n/<str:language>.js", views.javascript_catalog, name="javascript_catalog"),
    path("readyz", views.readyz, name="readyz"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path("sitemap-<section>.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap_section"),
    path(
        "news-sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": {"news": NewsSitemap}, "template_name": "articles/news_sitemap.xml"},
        name="news_sitemap",
    ),
    path("comments/", include("comments.urls")),
    path("notifications/", include("comments.notification_urls")),
    path("", include("articles.urls")),
]

if settings.SERVE_MEDIA:
    # Development and single-box deployments; a real deployment serves media from its web server or object store.
    urlpatterns += [
        re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
