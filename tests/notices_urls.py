"""A URLconf for the document views' tests: the project's own urls.py is edited elsewhere and
will include notices.urls under the same prefix."""

from django.urls import include, path

urlpatterns = [
    path("documents/", include("notices.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
]
