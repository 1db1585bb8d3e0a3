from django.http import HttpResponse
from django.urls import path

app_name = "settlement"
urlpatterns = [path("", lambda request: HttpResponse("placeholder"), name="dashboard")]
