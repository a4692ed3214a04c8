"""What accounts tells the apps above it (the audit log listens), so that it never imports them."""

from django.dispatch import Signal

# args: api_key, actor
api_key_created = Signal()
api_key_revoked = Signal()
