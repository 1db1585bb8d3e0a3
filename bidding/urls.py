from django.http import HttpResponse
from django.urls import path

app_name = "bidding"
urlpatterns = [path("", lambda request: HttpResponse("placeholder"), name="home")]
