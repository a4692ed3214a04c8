"""Run media: images, tables and histograms a run logs at a step (spec/api.md, POST .../media).

Nothing is stored as sent. Images are opened with Pillow, checked (PNG, JPEG, GIF
or WebP; at most MAX_MEGAPIXELS, read from the header before any pixel is
decoded; fully decodable) and re-encoded as PNG, which drops metadata and any
trailing payload. Tables and histograms are JSON, checked and rewritten; they are
small, so their data is kept on the row as well and pages draw them without
reading storage.
"""

from __future__ import annotations

import io
import json
import math
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import TooLarge
from teams import policy

from ..models import MediaKind, Run, RunMedia
from .ingest import MAX_KEY_LENGTH

MAX_MEGAPIXELS = 50
MAX_IMAGE_BYTES = 100 * 1024 * 1024
MAX_JSON_BYTES = 5 * 1024 * 1024
MAX_TABLE_ROWS = 10_000
MAX_TABLE_COLUMNS = 200
MAX_HISTOGRAM_BINS = 512
DEFAULT_BINS = 64
IMAGE_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


def _bad(field, message):
    return ValidationError({field: [message]})


def _meta(meta) -> tuple[str, int, str, str]:
    if isinstance(meta, (str, bytes)):
        try:
            meta = json.loads(meta)
        except ValueError:
            raise _bad("meta", "meta is a JSON object {key, step, kind, caption?}.") from None
    if not isinstance(meta, dict):
        raise _bad("meta", "meta is a JSON object {key, step, kind, caption?}.")
    key, step, kind = meta.get("key"), meta.get("step"), meta.get("kind")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise _bad("meta.key", f"key is a name of 1 to {MAX_KEY_LENGTH} characters.")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise _bad("meta.step", "step is a whole number, 0 or more.")
    if kind not in MediaKind.values:
        raise _bad("meta.kind", "kind is image, table or histogram.")
    caption = meta.get("caption") or ""
    if not isinstance(caption, str) or len(caption) > 1000:
        raise _bad("meta.caption", "caption is a text of at most 1,000 characters.")
    return key.strip(), step, kind, caption


def _read(upload, limit) -> bytes:
    if upload is None:
        raise _bad("file", "Send the media as a multipart field named file.")
    if getattr(upload, "size", 0) and upload.size > limit:
        raise TooLarge(f"That file is {upload.size / 1024 / 1024:.1f} MB; at most {limit // 1024 // 1024} MB.")
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"Media files may be at most {limit // 1024 // 1024} MB.")
    return data


def reencode_image(data: bytes) -> tuple[bytes, int, int]:
    """PNG bytes, width, height; ValidationError for what is not a whole image of the allowed formats and size."""
    not_an_image = _bad("file", "That file is not a PNG, JPEG, GIF or WebP image.")
    try:
        with warnings.catch_warnings():  # over the limit is refused just below, from the header
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _bad("file", f"Images may have at most {MAX_MEGAPIXELS} megapixels.") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise not_an_image from None
    if image.format not in IMAGE_FORMATS:
        raise not_an_image
    width, height = image.size
    if width < 1 or height < 1:
        raise not_an_image
    if width * height > MAX_MEGAPIXELS * 1_000_000:
        raise _bad("file", f"That image has {width * height / 1e6:.1f} megapixels; at most {MAX_MEGAPIXELS}.")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _bad("file", "That image is damaged or incomplete.") from None
    image = ImageOps.exif_transpose(image)
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if alpha else ("L" if image.mode in ("L", "1", "I", "I;16", "F") else "RGB"))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue(), image.width, image.height


def _json(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        raise _bad("file", "That file is not valid JSON.") from None


def _cell(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return json.dumps(value)[:1000]  # nested values are shown as their JSON


def clean_table(body) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get("columns"), list) or not isinstance(body.get("data"), list):
        raise _bad("file", "A table is JSON {columns: [...], data: [[...], ...]}.")
    columns = [str(c)[:255] for c in body["columns"]]
    if not columns or len(columns) > MAX_TABLE_COLUMNS:
        raise _bad("file", f"A table has 1 to {MAX_TABLE_COLUMNS} columns.")
    if len(body["data"]) > MAX_TABLE_ROWS:
        raise TooLarge(f"A table has at most {MAX_TABLE_ROWS:,} rows.")
    rows = []
    for n, row in enumerate(body["data"], start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise _bad("file", f"Row {n} of the table does not have {len(columns)} cells.")
        rows.append([_cell(cell) for cell in row])
    return {"columns": columns, "data": rows}


def _finite_numbers(values, what):
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise _bad("file", f"{what} is a list of numbers.")
    return [float(v) for v in values if math.isfinite(v)]


def clean_histogram(body) -> dict:
    """{bins: [n+1 edges], counts: [n]}, from that form or from raw values."""
    if isinstance(body, dict) and "values" in body:
        values = _finite_numbers(body["values"], "values")
        if not values:
            raise _bad("file", "A histogram of values needs at least one finite number.")
        bins = int(body.get("num_bins") or DEFAULT_BINS)
        bins = max(1, min(MAX_HISTOGRAM_BINS, bins))
        low, high = min(values), max(values)
        if low == high:
            low, high = low - 0.5, high + 0.5
        width = (high - low) / bins
        counts = [0] * bins
        for v in values:
            counts[min(bins - 1, int((v - low) / width))] += 1
        return {"bins": [low + i * width for i in range(bins)] + [high], "counts": counts}
    if not isinstance(body, dict) or "bins" not in body or "counts" not in body:
        raise _bad("file", "A histogram is JSON {bins: [n+1 edges], counts: [n]} or {values: [...]}.")
    bins, counts = _finite_numbers(body["bins"], "bins"), _finite_numbers(body["counts"], "counts")
    if len(bins) != len(body["bins"]) or len(counts) != len(body["counts"]):
        raise _bad("file", "Histogram bins and counts are finite numbers.")
    if not counts or len(counts) > MAX_HISTOGRAM_BINS or len(bins) != len(counts) + 1:
        raise _bad("file", f"A histogram has 1 to {MAX_HISTOGRAM_BINS} counts and one more bin edge than counts.")
    if any(b >= a for a, b in zip(bins[1:], bins)) or any(c < 0 for c in counts):
        raise _bad("file", "Bin edges increase and counts are 0 or more.")
    return {"bins": bins, "counts": counts}


@transaction.atomic
def media_save(*, actor, run: Run, meta, upload) -> RunMedia:
    """Store one image, table or histogram of a run at a step."""
    policy.require(actor, "run:log", run)
    key, step, kind, caption = _meta(meta)
    media = RunMedia(run=run, key=key, step=step, kind=kind, caption=caption)
    if kind == MediaKind.IMAGE:
        png, media.width, media.height = reencode_image(_read(upload, MAX_IMAGE_BYTES))
        media.file.save(f"{_safe(key)}-{step}.png", ContentFile(png), save=False)
    else:
        body = _json(_read(upload, MAX_JSON_BYTES))
        data = clean_table(body) if kind == MediaKind.TABLE else clean_histogram(body)
        media.data = data
        media.rows = len(data["data"]) if kind == MediaKind.TABLE else None
        media.file.save(f"{_safe(key)}-{step}.{kind}.json", ContentFile(json.dumps(data).encode()), save=False)
    media.save()
    return media


def _safe(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:100] or "media"
