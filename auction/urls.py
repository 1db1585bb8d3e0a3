from django.http import HttpResponse
from django.urls import path


def _placeholder(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse("placeholder")


urlpatterns = [
    path("", _placeholder, name="home"),
    path("results/", _placeholder, name="results"),
    path("lots/<int:pk>/", _placeholder, name="lot_detail"),
]
