"""Avatar images: accept only real, reasonably sized pictures, and re-encode them.

An upload is never stored as sent. It is opened with Pillow, checked (format,
byte size, pixel size, fully decodable), cropped to a square and re-encoded at
fixed sizes, which drops EXIF and any other metadata or trailing payload.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 4 * 1024 * 1024
MAX_SIDE = 4096
ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
SIZES = {"large": 256, "small": 64}

# Pillow warns above MAX_IMAGE_PIXELS and refuses at twice that. Every caller
# (avatars here, run media in experiments/services/media.py) refuses anything over
# its own limit from the header, before decoding, so this is a second wall, set at
# the largest limit any of them has (run media: 50 megapixels).
MAX_DECODED_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_DECODED_PIXELS


@dataclass(frozen=True)
class Avatar:
    """The re-encoded renditions, as WebP bytes keyed by size name."""

    renditions: dict

    extension = "webp"


def avatar_from_upload(upload) -> Avatar:
    """Validate an uploaded file and return its re-encoded renditions.

    Raises ValidationError with a sentence a person can act on.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            f"That file is {size / 1024 / 1024:.1f} MB; avatars may be at most 4 MB.", code="too_large"
        )
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError("Avatars may be at most 4 MB.", code="too_large")
    return avatar_from_bytes(data)


def avatar_from_bytes(data: bytes) -> Avatar:
    not_an_image = ValidationError(
        "That file is not a PNG, JPEG, WebP or GIF image.", code="invalid_image"
    )
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        if isinstance(exc, Image.DecompressionBombError):
            raise _too_many_pixels() from exc
        raise not_an_image from exc
    if image.format not in ALLOWED_FORMATS:
        raise not_an_image
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise _too_many_pixels(width, height)
    if width < 1 or height < 1:
        raise not_an_image
    try:
        image.load()  # decode every pixel now: truncated or corrupt files fail here
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "That image is damaged or incomplete; please upload it again.", code="damaged_image"
        ) from exc
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA") if _has_alpha(image) else image.convert("RGB")
    square = ImageOps.fit(image, (max(SIZES.values()),) * 2, method=Image.Resampling.LANCZOS)
    renditions = {}
    for name, side in SIZES.items():
        out = io.BytesIO()
        square.resize((side, side), Image.Resampling.LANCZOS).save(out, format="WEBP", quality=88, method=4)
        renditions[name] = out.getvalue()
    return Avatar(renditions=renditions)


def _has_alpha(image):
    return image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info)


def _too_many_pixels(width=None, height=None):
    shown = f" ({width}x{height})" if width else ""
    return ValidationError(
        f"That image is too large{shown}; avatars may be at most {MAX_SIDE}x{MAX_SIDE} pixels.",
        code="too_many_pixels",
    )


def replace_avatar(instance, upload):
    """Store the re-encoded renditions on `instance.avatar_large/avatar_small` (users and teams).

    Validates first (ValidationError, nothing changed); the old files are deleted
    only after the new ones are committed.
    """
    import uuid

    from django.core.files.base import ContentFile
    from django.db import transaction

    avatar = avatar_from_upload(upload)
    old = [instance.avatar_large.name, instance.avatar_small.name]
    token = uuid.uuid4().hex[:12]
    with transaction.atomic():
        for size, data in avatar.renditions.items():
            getattr(instance, f"avatar_{size}").save(f"{instance.pk}-{token}-{size}.{avatar.extension}", ContentFile(data), save=False)
        instance.save(update_fields=["avatar_large", "avatar_small"])
        storage = instance.avatar_large.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old if name])
    return instance
