"""/webhooks/: payment providers' callbacks (mounted by config.urls)."""

from django.urls import path

from settlement import webhooks

urlpatterns = [path("stripe/", webhooks.stripe_webhook, name="stripe_webhook")]
