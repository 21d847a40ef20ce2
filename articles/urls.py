from django.urls import path

from articles import feeds, views

app_name = "articles"

urlpatterns = [
    path("", views.home, name="home"),
    path("saved/", views.saved_list, name="saved"),
    path("saved/<int:pk>/", views.read_later_toggle, name="read_later"),
    path("saved/<int:pk>/save/", views.read_later_confirm, name="read_later_confirm"),
    path("search/", views.search_results, name="search"),
    path("feeds/rss/", feeds.StoryRssFeed(), name="feed_rss"),
    path("feeds/atom/", feeds.StoryAtomFeed(), name="feed_atom"),
    path("feeds/<slug:section>/rss/", feeds.StoryRssFeed(), name="section_feed_rss"),
    path("feeds/<slug:section>/atom/", feeds.StoryAtomFeed(), name="section_feed_atom"),
    path("live/<int:pk>/since/<str:version>/", views.live_since, name="live_since"),
    path("live/<int:pk>/new/<str:version>/", views.live_new, name="live_new"),
    path("live/<int:pk>/feed/", feeds.LiveBlogFeed(), name="live_feed"),
    path("author/<slug:slug>/", views.author_detail, name="author"),
    path("tag/<slug:slug>/", views.tag_detail, name="tag"),
    path(
        "<slug:section>/<int:year>/<str:month>/<str:day>/<slug:slug>/",
        views.article_detail,
        name="detail",
    ),
    # Last: a section's address is its bare slug, so it must not shadow the fixed prefixes above.
    path("<slug:slug>/", views.section_detail, name="section"),
]
