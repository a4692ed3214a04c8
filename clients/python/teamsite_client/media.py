"""Media a run logs beside its metrics: `ts.Image`, `ts.Table`, `ts.Histogram`.

    run.log({"samples": ts.Image("digit.png", caption="a 7"),
             "preds": ts.Table(columns=["id", "label"], data=[[1, "cat"]]),
             "weights": ts.Histogram(values)})

Each is turned into bytes when it is made (so the script may change its array
afterwards) and sent in the background through POST .../media. A path or bytes
need nothing but the standard library; a numpy array or a PIL image needs the
`[media]` extra (Pillow, numpy).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Sequence
from typing import Any

MAX_HISTOGRAM_VALUES = 1_000_000


class Media:
    """What run.log recognises as media rather than a metric."""

    kind: str = ""
    caption: str = ""
    filename: str = "media"

    def payload(self) -> bytes:  # pragma: no cover - each kind has its own
        raise NotImplementedError


class Image(Media):
    """An image: a path to a PNG/JPEG/GIF/WebP file, its bytes, a PIL image, or a
    numpy array (H x W, H x W x 3 or H x W x 4; floats in [0, 1] or integers 0-255).
    The server re-encodes it (at most 50 megapixels)."""

    kind = "image"

    def __init__(self, data: str | os.PathLike | bytes | Any, caption: str | None = None):
        self.caption = caption or ""
        if isinstance(data, (str, os.PathLike)):
            with open(data, "rb") as handle:
                self._bytes = handle.read()
            self.filename = os.path.basename(os.fspath(data))
        elif isinstance(data, (bytes, bytearray)):
            self._bytes = bytes(data)
            self.filename = "image"
        else:
            self._bytes = _png_of(data)
            self.filename = "image.png"

    def payload(self) -> bytes:
        return self._bytes


def _png_of(data) -> bytes:
    try:
        from PIL import Image as PILImage
    except ImportError:  # pragma: no cover - depends on the machine
        raise ImportError('teamsite: arrays and PIL images need Pillow: pip install "teamsite-client[media]"') from None
    if not isinstance(data, PILImage.Image):
        try:
            import numpy as np
        except ImportError:  # pragma: no cover
            raise ImportError('teamsite: arrays need numpy: pip install "teamsite-client[media]"') from None
        array = np.asarray(data)
        if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
            array = np.transpose(array, (1, 2, 0))  # channels first (torch) to channels last
        if array.ndim == 3 and array.shape[-1] == 1:
            array = array[..., 0]
        if array.dtype.kind == "f":
            array = np.clip(array * 255.0 if array.max(initial=0) <= 1.0 else array, 0, 255)
        data = PILImage.fromarray(array.astype(np.uint8))
    out = io.BytesIO()
    data.save(out, format="PNG")
    return out.getvalue()


class Table(Media):
    """A table: `columns` names and `data` rows (lists of the same length), or a pandas DataFrame."""

    kind = "table"
    filename = "table.json"

    def __init__(self, columns: Sequence[str] | None = None, data: Sequence[Sequence[Any]] | None = None, dataframe: Any = None, caption: str | None = None):
        if dataframe is not None:
            columns = [str(c) for c in dataframe.columns]
            data = dataframe.values.tolist()
        if columns is None or data is None:
            raise ValueError("teamsite: a Table needs columns= and data= (or dataframe=).")
        self.columns = [str(c) for c in columns]
        self.data = [[_cell(v) for v in row] for row in data]
        for n, row in enumerate(self.data, start=1):
            if len(row) != len(self.columns):
                raise ValueError(f"teamsite: row {n} of the table has {len(row)} cells, not {len(self.columns)}.")
        self.caption = caption or ""

    def payload(self) -> bytes:
        return json.dumps({"columns": self.columns, "data": self.data}, allow_nan=False, default=str).encode()


def _cell(value):
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, (str, bytes)):
        try:
            value = item()
        except Exception:
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Histogram(Media):
    """A histogram: raw values (a list or array; binned on the server, `num_bins` bins),
    or `np_histogram=(counts, bin_edges)` as numpy.histogram returns it."""

    kind = "histogram"
    filename = "histogram.json"

    def __init__(self, values: Sequence[float] | Any = None, np_histogram: tuple | None = None, num_bins: int = 64, caption: str | None = None):
        self.caption = caption or ""
        if np_histogram is not None:
            counts, bins = np_histogram
            self.body = {"bins": [float(b) for b in bins], "counts": [float(c) for c in counts]}
        elif values is not None:
            flat = values.ravel().tolist() if hasattr(values, "ravel") else list(values)
            if len(flat) > MAX_HISTOGRAM_VALUES:
                raise ValueError(f"teamsite: a Histogram takes at most {MAX_HISTOGRAM_VALUES:,} values; pass np_histogram= instead.")
            finite = [float(v) for v in flat if isinstance(v, (int, float)) and math.isfinite(v)]
            self.body = {"values": finite, "num_bins": int(num_bins)}
        else:
            raise ValueError("teamsite: a Histogram needs values or np_histogram=(counts, bins).")

    def payload(self) -> bytes:
        return json.dumps(self.body).encode()


def split_media(data):
    """(the metrics, {key: Media} or None): run.log's values split, at no cost without media."""
    for value in data.values():
        if isinstance(value, Media):
            media = {key: value for key, value in data.items() if isinstance(value, Media)}
            return {key: value for key, value in data.items() if key not in media}, media
    return data, None


def media_entries(media: dict, step: int) -> list[tuple[dict, str, bytes]]:
    """(meta, file name, bytes) for POST .../media, one per media value."""
    entries = []
    for key, item in media.items():
        meta = {"key": str(key), "step": step, "kind": item.kind}
        if item.caption:
            meta["caption"] = item.caption
        entries.append((meta, item.filename, item.payload()))
    return entries
