"""Avatars: only real images, bounded in bytes and pixels, always re-encoded."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.services import avatar_set
from core.images import avatar_from_bytes

pytestmark = pytest.mark.django_db


def image_bytes(fmt="PNG", size=(300, 200), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width=20000, height=20000):
    """A valid PNG header announcing width x height pixels, a few hundred bytes long."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    rows = zlib.compress(b"\x00" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", rows) + png_chunk(b"IEND", b"")


def upload(data, name="avatar.png", content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


class TestProcessing:
    @pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
    def test_each_allowed_format_is_re_encoded_at_fixed_sizes(self, fmt):
        avatar = avatar_from_bytes(image_bytes(fmt))
        for name, side in {"large": 256, "small": 64}.items():
            rendition = Image.open(io.BytesIO(avatar.renditions[name]))
            assert rendition.format == "WEBP"
            assert rendition.size == (side, side)

    def test_metadata_is_stripped(self):
        exif = Image.Exif()
        exif[0x010F] = "SecretCamera"  # Make
        exif[0x8825] = {2: (52.0, 31.0, 0.0)}  # GPS
        data = image_bytes("JPEG", exif=exif.tobytes())
        assert b"SecretCamera" in data
        avatar = avatar_from_bytes(data)
        for rendition in avatar.renditions.values():
            assert b"SecretCamera" not in rendition
            assert not Image.open(io.BytesIO(rendition)).getexif()

    def test_trailing_payload_is_dropped(self):
        data = image_bytes("PNG") + b"<script>alert(1)</script>"
        avatar = avatar_from_bytes(data)
        assert all(b"<script>" not in r for r in avatar.renditions.values())

    def test_text_file_named_png_is_refused(self):
        with pytest.raises(ValidationError, match="not a PNG, JPEG, WebP or GIF"):
            avatar_from_bytes(b"hello, I am text pretending to be an image\n" * 10)

    def test_svg_is_refused(self):
        with pytest.raises(ValidationError, match="not a PNG"):
            avatar_from_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')

    def test_other_real_formats_are_refused(self):
        with pytest.raises(ValidationError, match="not a PNG"):
            avatar_from_bytes(image_bytes("BMP"))

    def test_decompression_bomb_is_refused_before_decoding(self):
        data = bomb_png()
        assert len(data) < 200_000
        with pytest.raises(ValidationError, match="too large") as info:
            avatar_from_bytes(data)
        assert info.value.code == "too_many_pixels"

    def test_just_over_the_side_limit_is_refused(self):
        with pytest.raises(ValidationError, match="at most 4096x4096"):
            avatar_from_bytes(bomb_png(4097, 10))

    def test_truncated_jpeg_is_refused(self):
        data = image_bytes("JPEG", size=(800, 800), quality=95)
        with pytest.raises(ValidationError, match="damaged or incomplete"):
            avatar_from_bytes(data[: len(data) // 2])

    def test_empty_file_is_refused(self):
        with pytest.raises(ValidationError):
            avatar_from_bytes(b"")

    def test_transparency_survives(self):
        out = io.BytesIO()
        Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(out, format="PNG")
        rendition = Image.open(io.BytesIO(avatar_from_bytes(out.getvalue()).renditions["small"]))
        assert rendition.mode == "RGBA"
        assert rendition.getpixel((5, 5))[3] == 0


class TestService:
    def test_set_stores_both_sizes_and_replaces_the_old_files(self, user, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            avatar_set(actor=user, upload=upload(image_bytes()))
        first = (user.avatar_large.name, user.avatar_small.name)
        storage = user.avatar_large.storage
        assert all(storage.exists(name) for name in first)
        with django_capture_on_commit_callbacks(execute=True):
            avatar_set(actor=user, upload=upload(image_bytes(color=(0, 0, 255))))
        assert not any(storage.exists(name) for name in first)
        assert storage.exists(user.avatar_large.name)

    def test_too_many_bytes_is_refused_without_reading(self, user):
        big = upload(b"\x89PNG" + b"0" * (4 * 1024 * 1024 + 1))
        with pytest.raises(ValidationError, match="at most 4 MB"):
            avatar_set(actor=user, upload=big)
        user.refresh_from_db()
        assert not user.avatar_large


class TestSettingsForm:
    """Through the page: each bad file gets a form error and the old avatar stays."""

    @pytest.fixture
    def person(self, client, user, django_capture_on_commit_callbacks):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/settings/avatar/", {"avatar": upload(image_bytes())})
        assert response.status_code == 302
        user.refresh_from_db()
        assert user.avatar_large
        return user

    @pytest.mark.parametrize(
        "data, message",
        [
            (b"just text\n" * 50, "not a PNG, JPEG, WebP or GIF"),
            (bomb_png(), "That image is too large"),
            (image_bytes("JPEG", size=(600, 600))[:2000], "damaged or incomplete"),
        ],
        ids=["text-named-png", "bomb", "truncated-jpeg"],
    )
    def test_bad_upload_keeps_the_old_avatar(self, client, person, data, message):
        before = (person.avatar_large.name, person.avatar_small.name)
        response = client.post("/settings/avatar/", {"avatar": upload(data, name="evil.png")})
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert 'class="field-errors"' in html
        person.refresh_from_db()
        assert (person.avatar_large.name, person.avatar_small.name) == before
        assert person.avatar_large.storage.exists(before[0])
        assert person.avatar_large.url in html  # the old one is still shown

    def test_no_file_is_a_form_error(self, client, person):
        response = client.post("/settings/avatar/", {})
        assert response.status_code == 400
        assert "This field is required." in response.content.decode()

    def test_remove(self, client, person, django_capture_on_commit_callbacks):
        old = person.avatar_large.name
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/settings/avatar/", {"remove": "1"}).status_code == 302
        person.refresh_from_db()
        assert not person.avatar_large
        assert not person.avatar_large.storage.exists(old)
