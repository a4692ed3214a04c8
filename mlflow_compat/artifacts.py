"""mlflow-artifacts: run files under MLflow's proxied-artifact paths, and multipart uploads.

A run's artifact_uri is `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts`, so the
client PUTs and GETs `/api/2.0/mlflow-artifacts/artifacts/<experiment_id>/<run_id>/artifacts/<path>`
and lists with `?path=`. The bytes are the run's files (experiments' files_save).

Large files come in parts (MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD, or server-info's
multipart_uploads_enabled): mpu/create hands out part URLs carrying a signed upload
id (the client PUTs parts to them without its key, as to a bucket), mpu/complete
joins them and saves the file through files_save, as the caller, through the policy.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import tempfile
from pathlib import Path

from django.core import signing
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from experiments import selectors as experiment_selectors
from experiments import services as experiments
from experiments.models import RunFile
from teams import policy

from . import mapping
from .protocol import answer, error_response, invalid, missing

COPY_CHUNK = 1024 * 1024
UPLOAD_SALT = "mlflow-compat.mpu"
UPLOAD_MAX_AGE = 24 * 3600


def _run_and_path(actor, path: str, *, active=False):
    """(run, file path inside the run) of `<experiment_id>/<run_id>/artifacts[/<path>]`."""
    parts = [part for part in (path or "").strip("/").split("/") if part]
    if len(parts) < 3 or parts[2] != "artifacts":
        raise invalid(f"Artifact paths look like <experiment_id>/<run_id>/artifacts/<path>, not {path!r}.")
    experiment_id, run_id, rest = parts[0], parts[1], "/".join(parts[3:])
    run = mapping.run_by_id(actor, run_id, active=active)
    if str(run.project_id) != experiment_id:
        raise missing(f"Run '{run_id}' not found in experiment {experiment_id}")
    if ".." in rest.split("/"):
        raise invalid(f"Invalid artifact path {path!r}.")
    return run, rest


def _streamed_upload(stream, name: str, content_type: str) -> TemporaryUploadedFile:
    """The request body in a temporary file (never the whole of it in memory)."""
    upload = TemporaryUploadedFile(name, content_type or "application/octet-stream", 0, None)
    size = 0
    while True:
        chunk = stream.read(COPY_CHUNK)
        if not chunk:
            break
        upload.write(chunk)
        size += len(chunk)
    upload.size = size
    upload.seek(0)
    return upload


def _listing(run, folder: str) -> dict:
    paths = list(RunFile.objects.filter(run=run).values_list("path", "size"))
    if folder and any(path == folder for path, _ in paths):
        return {}  # a file, not a folder
    prefix = folder + "/" if folder else ""
    entries = {}
    for path, size in paths:
        if not path.startswith(prefix):
            continue
        head, slash, _ = path[len(prefix):].partition("/")
        if slash:
            entries.setdefault(head, {"path": head, "is_dir": True})
        else:
            entries[head] = {"path": head, "is_dir": False, "file_size": size}
    return {"files": [entries[name] for name in sorted(entries)]} if entries else {}


def _handle_artifact(call, path):
    request = call.request
    if request.method == "PUT":
        run, rest = _run_and_path(call.actor, path, active=True)
        if not rest:
            raise invalid("Name the file: PUT .../artifacts/<path>.")
        upload = _streamed_upload(request, posixpath.basename(rest), request.content_type)
        try:
            experiments.files_save(actor=call.actor, run=run, files={rest: upload})
        finally:
            upload.close()  # storage may have moved the temporary file already
        return {}
    run, rest = _run_and_path(call.actor, path)
    policy.require(call.actor, "run:view", run)
    return experiment_selectors.run_file_response(run, rest)


@csrf_exempt
def artifact(request, path: str):
    if request.method not in ("GET", "PUT", "HEAD"):
        return error_response("ENDPOINT_NOT_FOUND", f"{request.path} takes GET and PUT, not {request.method}.", 405)
    return answer(request, lambda call: _handle_artifact(call, path))


@csrf_exempt
def artifact_list(request):
    if request.method != "GET":
        return error_response("ENDPOINT_NOT_FOUND", f"{request.path} takes GET, not {request.method}.", 405)

    def handle(call):
        run, folder = _run_and_path(call.actor, call.required("path"))
        policy.require(call.actor, "run:view", run)
        return _listing(run, folder)

    return answer(request, handle)


# --- Multipart uploads -------------------------------------------------------------------


def _parts_dir(upload_id: str) -> Path:
    return Path(tempfile.gettempdir()) / "teamsite-mlflow-mpu" / hashlib.sha256(upload_id.encode()).hexdigest()[:32]


def _ticket(upload_id: str) -> dict:
    try:
        return signing.loads(upload_id, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        raise invalid("That upload_id is not one this server handed out, or it expired.") from None


def _file_path(call, path):
    run, folder = _run_and_path(call.actor, path, active=True)
    name = posixpath.basename(str(call.required("path")))
    return run, posixpath.join(folder, name) if folder else name


def _mpu_create(call, path):
    run, file_path = _file_path(call, path)
    policy.require(call.actor, "run:log", run)  # before handing out part URLs; files_save asks again at the end
    parts = int(call.get("num_parts", 1))
    if not 1 <= parts <= 10_000:
        raise invalid("num_parts is between 1 and 10,000.")
    upload_id = signing.dumps({"run": run.pk, "path": file_path, "user": call.actor.pk, "nonce": os.urandom(8).hex()}, salt=UPLOAD_SALT)
    _parts_dir(upload_id).mkdir(parents=True, exist_ok=True)
    base = call.request.build_absolute_uri(f"/api/2.0/mlflow-artifacts/mpu/upload/{path.strip('/')}")
    credentials = [
        {"url": f"{base}?upload_id={upload_id}&part_number={n}", "part_number": n, "headers": {}} for n in range(1, parts + 1)
    ]
    return {"upload_id": upload_id, "credentials": credentials}


def _mpu_complete(call, path):
    run, file_path = _file_path(call, path)
    upload_id = call.required("upload_id")
    ticket = _ticket(upload_id)
    if ticket["run"] != run.pk or ticket["path"] != file_path or ticket["user"] != call.actor.pk:
        raise invalid("That upload_id belongs to another file or person.")
    folder = _parts_dir(upload_id)
    numbers = sorted(int(part["part_number"]) for part in call.get("parts", []))
    if not numbers or numbers != list(range(1, len(numbers) + 1)):
        raise invalid("parts must list part numbers 1, 2, 3... each once.")
    upload = TemporaryUploadedFile(posixpath.basename(file_path), "application/octet-stream", 0, None)
    for number in numbers:
        part = folder / str(number)
        if not part.exists():
            raise invalid(f"Part {number} of that upload never arrived.")
        with part.open("rb") as handle:
            shutil.copyfileobj(handle, upload, COPY_CHUNK)
    upload.size = upload.tell()
    upload.seek(0)
    try:
        experiments.files_save(actor=call.actor, run=run, files={file_path: upload})
    finally:
        upload.close()
    shutil.rmtree(folder, ignore_errors=True)
    return {}


def _mpu_abort(call, path):
    _ticket(call.required("upload_id"))
    shutil.rmtree(_parts_dir(call.required("upload_id")), ignore_errors=True)
    return {}


MPU = {"create": _mpu_create, "complete": _mpu_complete, "abort": _mpu_abort}


@csrf_exempt
def multipart(request, action: str, path: str):
    if action == "upload":
        return _mpu_upload_part(request)
    if action not in MPU or request.method != "POST":
        return error_response("ENDPOINT_NOT_FOUND", f"No multipart endpoint {request.method} {request.path}.", 404)
    return answer(request, lambda call: MPU[action](call, path))


def _mpu_upload_part(request):
    """PUT one part; the signed upload_id is the only credential (the client sends no key here)."""
    if request.method != "PUT":
        return error_response("ENDPOINT_NOT_FOUND", "Parts are PUT.", 405)
    upload_id = request.GET.get("upload_id", "")
    try:
        signing.loads(upload_id, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
        number = int(request.GET.get("part_number", ""))
    except (signing.BadSignature, ValueError):
        return error_response("INVALID_PARAMETER_VALUE", "That upload_id or part_number is not valid.")
    folder = _parts_dir(upload_id)
    if not folder.is_dir() or not 1 <= number <= 10_000:
        return error_response("INVALID_PARAMETER_VALUE", "That upload was completed, aborted or never started.")
    digest = hashlib.md5(usedforsecurity=False)
    with (folder / str(number)).open("wb") as handle:
        while chunk := request.read(COPY_CHUNK):
            handle.write(chunk)
            digest.update(chunk)
    response = HttpResponse(status=200)
    response["ETag"] = f'"{digest.hexdigest()}"'
    return response


def server_info(request):
    return JsonResponse({
        "store_type": "SqlStore",
        "artifact_serving_enabled": True,
        "multipart_uploads_enabled": True,
        "multipart_downloads_enabled": False,
    })


