# The edge cache in front of the web nodes (docs/deployment.md, "The edge"). Varnish 7 with vmod xkey
# (Debian: varnish, varnish-modules). Django decides what may be shared (newsroom.http.shared_by_signed_out_readers:
# Cache-Control public with s-maxage, stale-while-revalidate and stale-if-error, and a Surrogate-Key header);
# this file keeps those pages, strips signed-out readers' cookies so they all share one copy, passes everything
# else, and lets the task queue retire pages by surrogate key (newsroom.edge.purge_keys).
vcl 4.1;

import directors;
import std;
import xkey;

# Each web node is probed on /readyz, which answers 503 when the node cannot reach the database: a node that fails
# two of its last three probes is taken out of the director until it answers again, and with every node out the
# edge serves what it kept (stale-if-error).
probe ready {
    .url = "/readyz";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

# One backend per web node, each like web1, and each added to the director in vcl_init. The hosts are
# docker-compose.yml's services; in production, the nodes' addresses. tests/servers.py (Varnish) writes a copy with
# one such block per node it starts, on loopback.
backend web1 {
    .host = "web";
    .port = "8000";
    # The site's host name (one of DJANGO_ALLOWED_HOSTS): the probe's Host, which Django checks like any other.
    .host_header = "news.example.com";
    .connect_timeout = 1s;
    .first_byte_timeout = 35s;   # a little over gunicorn's timeout (deploy/gunicorn.conf.py)
    .probe = ready;
}

backend web2 {
    .host = "web2";
    .port = "8000";
    .host_header = "news.example.com";
    .connect_timeout = 1s;
    .first_byte_timeout = 35s;
    .probe = ready;
}

# Requests go to the healthy nodes in turn.
sub vcl_init {
    new web = directors.round_robin();
    web.add_backend(web1);
    web.add_backend(web2);
}

# Who may PURGE: the web nodes and workers that run newsroom.edge.purge_keys. A name is resolved when the VCL is
# loaded; in parentheses, one that does not resolve is left out (docker-compose.yml's services, off compose).
acl purgers {
    "127.0.0.1";
    "::1";
    ("web");
    ("web2");
    ("worker");
}

# Pages vary by Accept-Language (Django's LocaleMiddleware). Left as browsers send it, that would keep one copy per
# header ("es-ES,es;q=0.9", "es", "es-MX,en;q=0.5", ...); instead the header becomes the one offered language the
# reader gets, so the cache keeps one copy per language. The language cookie (django_language, which the language
# chooser sets) comes first, as in Django, then the first offered language the browser lists, else the site's.
# The offered languages are NEWSROOM_LANGUAGES and the site's LANGUAGE_CODE: keep "en|es" and "en" in step.
sub normalise_language {
    if (req.http.Cookie ~ "(^|;\s*)django_language=(en|es)(;|$)") {
        set req.http.Accept-Language = regsub(req.http.Cookie, "^(.*;\s*)?django_language=(en|es)(;.*)?$", "\2");
    } elsif (req.http.Accept-Language ~ "(?i)(^|,)\s*(en|es)([-_][a-z0-9]+)*\s*(;\s*q=(1|0\.0*[1-9])[0-9.]*)?\s*(,|$)") {
        # The first tag whose primary language is offered (and not refused with q=0); browsers list their best first.
        set req.http.Accept-Language = std.tolower(regsub(req.http.Accept-Language,
            "(?i)^(.*?,)??\s*(en|es)([-_][a-z0-9]+)*\s*(;\s*q=(1|0\.0*[1-9])[0-9.]*)?\s*(,.*)?$", "\2"));
    } else {
        set req.http.Accept-Language = "en";
    }
}

sub vcl_recv {
    set req.backend_hint = web.backend();
    if (std.healthy(req.backend_hint)) {
        # A healthy node: an expired page is served stale (while a background fetch refreshes it) no longer than
        # Django's stale-while-revalidate (HTTP_STALE_WHILE_REVALIDATE; keep the two equal). A sick node leaves
        # the page's whole grace, its stale-if-error, to serve it.
        set req.grace = 30s;
    }

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Not allowed to purge"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "Name the surrogate keys to purge in the xkey-purge header"));
        }
        # Soft: the pages expire now but stay in grace, so a down backend still has them to serve stale.
        set req.http.x-edge-purged = xkey.softpurge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.x-edge-purged + " objects"));
    }

    call normalise_language;
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization || req.url ~ "^/(admin|accounts)(/|$)") {
        return (pass);
    }
    # A signed-in reader (Django's session cookie, SESSION_COOKIE_NAME) gets their own page from Django.
    if (req.http.Cookie ~ "(^|;\s*)sessionid=") {
        return (pass);
    }
    # Anyone else is a signed-out reader: every cookie goes (a stale csrftoken, analytics), one copy for all.
    unset req.http.Cookie;
    return (hash);
}

sub vcl_backend_response {
    # A node that errs while refreshing a stale copy: the copy stays, served until its grace ends.
    if (beresp.status >= 500 && bereq.is_bgfetch) {
        return (abandon);
    }
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control !~ "(^|[,\s])public([,\s]|$)") {
        # Django said private (a signed-in page, a form, anything that sets a cookie): never kept.
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    # Varnish reads s-maxage into beresp.ttl and stale-while-revalidate into beresp.grace; the page stays longer,
    # for stale-if-error, when it says so (vcl_recv caps the grace while the node is healthy).
    if (beresp.grace < std.duration(regsub(beresp.http.Cache-Control, ".*stale-if-error=([0-9]+).*", "\1s"), 0s)) {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control, ".*stale-if-error=([0-9]+).*", "\1s"), 0s);
    }
    # xkey tags the object with the keys it reads from the xkey header.
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    return (deliver);
}

sub vcl_backend_error {
    # No answer at all (refused, timed out) while refreshing a stale copy: abandoned, so the copy stays instead of
    # being replaced by Varnish's error page.
    if (bereq.is_bgfetch) {
        return (abandon);
    }
    # A read that a node did not answer (killed, and not yet marked sick by its probe) goes to the director's next
    # node, up to twice: other readers' requests move the same round robin meanwhile, so one retry may land on the
    # dead node again. Never a POST: it may have reached the node before it went.
    if ((bereq.method == "GET" || bereq.method == "HEAD") && bereq.retries < 2) {
        return (retry);
    }
    # Otherwise a page that says what happened and that going back keeps what the reader typed.
    set beresp.http.Content-Type = "text/html; charset=utf-8";
    set beresp.http.Retry-After = "5";
    set beresp.http.Cache-Control = "no-store";
    synthetic({"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The site is not answering</title></head>
<body><h1>The site is not answering just now</h1>
<p>Please try again in a moment. If you were sending a form (a comment, a sign-in), go back: what you typed is
still in it, and sending it again will not post a comment twice.</p></body></html>
"});
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0 && obj.ttl <= 0s) {
        set resp.http.X-Cache = "STALE";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # What the edge keeps to itself.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
