from django.http import HttpResponse
from django.urls import path

app_name = "staff"


def _placeholder(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse("placeholder")


urlpatterns = [path("", _placeholder, name="dashboard")]
