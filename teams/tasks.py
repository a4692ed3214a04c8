"""The teams app's background tasks."""

from django_tasks import task


@task()
def deliver_webhook(delivery_id: int) -> str:
    from . import webhooks

    return webhooks.deliver(delivery_id)
