from django.http import HttpResponse
from django.urls import path

app_name = "valuation"
urlpatterns = [path("", lambda request: HttpResponse("placeholder"), name="home")]
