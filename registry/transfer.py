"""The registry's part of a team export: artifacts with every version, file and alias, lineage, and the
model registry (registered models, linked versions, aliases, the protected alias list).

Each content (sha256) is written once, under blobs/<sha256>, however many versions hold it; on import
the bytes go to the new team's storage and are checked against their sha256 again."""

from __future__ import annotations

import hashlib
import tempfile

from django.core.files import File

from core import hooks
from core.transfer import ImportProblem, Part, parse_when, plain, restore
from teams import storage

from .models import (
    Artifact,
    ArtifactAlias,
    ArtifactFile,
    ArtifactUse,
    ArtifactVersion,
    Blob,
    ModelAlias,
    ModelVersion,
    RegisteredModel,
    RegistrySettings,
)
from .services.blobs import blob_name

ARTIFACT_FIELDS = ("name", "type", "description", "next_index", "created_at")
VERSION_FIELDS = ("index", "digest", "size", "file_count", "description", "metadata", "created_at")
MODEL_FIELDS = ("name", "description", "next_index", "created_at")


def _dump(team, out):
    blobs = Blob.objects.filter(team=team).order_by("sha256")
    out.rows("registry/blobs", ({"sha256": b.sha256, "size": b.size, "created_at": b.created_at.isoformat()} for b in blobs))
    for blob in blobs.iterator(chunk_size=200):
        with storage.open_stream(blob.storage, blob.name) as handle:
            out.file(f"registry/blobs/{blob.sha256}", handle)
    artifacts = Artifact.objects.filter(project__team=team).order_by("pk")
    out.rows("registry/artifacts", ({**plain(a, ARTIFACT_FIELDS), "id": out.ref("artifact", a.pk), "project": out.ref("project", a.project_id)}
                                    for a in artifacts))
    versions = ArtifactVersion.objects.filter(artifact__project__team=team).select_related("created_by").order_by("pk")
    out.rows("registry/versions", (
        {**plain(v, VERSION_FIELDS), "id": out.ref("version", v.pk), "artifact": out.ref("artifact", v.artifact_id),
         "created_by": out.user(v.created_by), "logged_by_run": out.ref("run", v.logged_by_run_id) if v.logged_by_run_id else None,
         "files": [[f.path, f.blob.sha256] for f in ArtifactFile.objects.filter(version=v).select_related("blob").order_by("path")]}
        for v in versions))
    out.rows("registry/aliases", ({"version": out.ref("version", a.version_id), "alias": a.alias, "created_at": a.created_at.isoformat()}
                                  for a in ArtifactAlias.objects.filter(artifact__project__team=team).order_by("pk")))
    out.rows("registry/uses", ({"run": out.ref("run", u.run_id), "version": out.ref("version", u.version_id), "created_at": u.created_at.isoformat()}
                               for u in ArtifactUse.objects.filter(version__artifact__project__team=team).order_by("pk")))
    models = RegisteredModel.objects.filter(team=team).select_related("created_by").order_by("pk")
    out.rows("registry/models", ({**plain(m, MODEL_FIELDS), "id": out.ref("model", m.pk), "created_by": out.user(m.created_by)} for m in models))
    links = ModelVersion.objects.filter(model__team=team).select_related("created_by").order_by("pk")
    out.rows("registry/links", ({"id": out.ref("link", link.pk), "model": out.ref("model", link.model_id), "index": link.index,
                                 "version": out.ref("version", link.artifact_version_id), "created_by": out.user(link.created_by),
                                 "created_at": link.created_at.isoformat()} for link in links))
    out.rows("registry/model_aliases", ({"link": out.ref("link", a.model_version_id), "alias": a.alias, "created_at": a.created_at.isoformat()}
                                        for a in ModelAlias.objects.filter(model__team=team).order_by("pk")))
    settings = RegistrySettings.objects.filter(team=team).first()
    out.rows("registry/settings", [{"protected_aliases": settings.protected_aliases}] if settings else [])


def _load(team, inp):
    location = storage.current(team)
    blobs = {}
    for row in inp.rows("registry/blobs"):
        digest = hashlib.sha256()
        with inp.content(f"registry/blobs/{row['sha256']}") as source, tempfile.TemporaryFile() as spooled:
            for chunk in iter(lambda: source.read(1 << 20), b""):
                digest.update(chunk)
                spooled.write(chunk)
            if digest.hexdigest() != row["sha256"]:
                raise ImportProblem(f"registry/blobs/{row['sha256']} does not match its sha256.")
            spooled.seek(0)
            stored = storage.save_stream(location, blob_name(team, row["sha256"]), File(spooled))
        blobs[row["sha256"]] = Blob.objects.create(team=team, sha256=row["sha256"], size=row["size"], storage=location, name=stored,
                                                   created_at=_when(row))
    for row in inp.rows("registry/artifacts"):
        artifact = restore(Artifact, row, ARTIFACT_FIELDS, project=inp.get("project", row["project"]))
        artifact.save()
        inp.remember("artifact", row["id"], artifact)
    for row in inp.rows("registry/versions"):
        artifact = inp.get("artifact", row["artifact"])
        version = restore(ArtifactVersion, row, VERSION_FIELDS, artifact=artifact, project=artifact.project, created_by=inp.user(row["created_by"]),
                          logged_by_run=inp.get("run", row["logged_by_run"]) if row["logged_by_run"] else None)
        version.save()
        inp.remember("version", row["id"], version)
        missing = [sha for _, sha in row["files"] if sha not in blobs]
        if missing:
            raise ImportProblem(f"Artifact {artifact.name} v{version.index} names contents the archive lacks: {missing[0]}.")
        ArtifactFile.objects.bulk_create([ArtifactFile(version=version, path=path, blob=blobs[sha]) for path, sha in row["files"]])
    for row in inp.rows("registry/aliases"):
        version = inp.get("version", row["version"])
        ArtifactAlias.objects.create(artifact=version.artifact, version=version, alias=row["alias"], created_at=_when(row))
    for row in inp.rows("registry/uses"):
        ArtifactUse.objects.create(run=inp.get("run", row["run"]), version=inp.get("version", row["version"]), created_at=_when(row))
    for row in inp.rows("registry/models"):
        model = restore(RegisteredModel, row, MODEL_FIELDS, team=team, created_by=inp.user(row["created_by"]))
        model.save()
        inp.remember("model", row["id"], model)
    for row in inp.rows("registry/links"):
        link = ModelVersion.objects.create(model=inp.get("model", row["model"]), index=row["index"], artifact_version=inp.get("version", row["version"]),
                                           created_by=inp.user(row["created_by"]), created_at=_when(row))
        inp.remember("link", row["id"], link)
    for row in inp.rows("registry/model_aliases"):
        link = inp.get("link", row["link"])
        ModelAlias.objects.create(model=link.model, model_version=link, alias=row["alias"], created_at=_when(row))
    for row in inp.rows("registry/settings"):
        RegistrySettings.objects.update_or_create(team=team, defaults={"protected_aliases": row["protected_aliases"]})


def _when(row):
    return parse_when(row["created_at"])


hooks.register("export.parts", Part("registry", 25, _dump, _load))
