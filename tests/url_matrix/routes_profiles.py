"""The team profile and its general settings (team:manage).

Statuses in the order: anonymous outsider viewer member admin service.
"""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.url_matrix.table import page


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, "PNG")
    return SimpleUploadedFile("avatar.png", buffer.getvalue(), content_type="image/png")

ROUTES = [
    page("team-home", "GET", "200 200 200 200 200 200"),
    page("team-settings", "GET", "in 403 403 403 200 in"),
    page("team-settings", "POST", "in 403 403 403 302 in", body={"name": "Acme Labs", "intro": "", "links": ""}, case="save"),
    page("team-avatar", "POST", "in 403 403 403 302 in", files=lambda w: {"avatar": _png()}),
    page("team-intro-preview", "POST", "in 403 403 403 200 in", body={"intro": "**hello**"}),
    page("team-showcase", "POST", "in 403 403 403 302 in", body={"action": "add", "project": "vision"}),
]
