"""The archive: a zip of JSON-lines tables, files and metric points, with manifest.json (docs/export.md).

`export_team` asks every registered part (hook "export.parts", one per app) to write
its tables; `import_team` reads them back inside one transaction, so a bad archive
changes nothing and the ImportProblem says what was wrong.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections import defaultdict

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core import hooks
from core.transfer import FORMAT_VERSION, ImportProblem
from teams.models import Organization, Team, validate_team_slug

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # members carry no clock time: the same data gives the same archive
USER_FIELDS = ("username", "email", "display_name", "is_service")  # whether an account is active is the site's business


def parts():
    return sorted(hooks.get("export.parts"), key=lambda part: part.order)


def _info(name):
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class Writer:
    def __init__(self, zf: zipfile.ZipFile, *, parquet: bool):
        self.zip, self.parquet = zf, parquet
        self.ids: dict[str, dict] = defaultdict(dict)
        self.people: dict[int, tuple[int, User]] = {}

    def ref(self, label, pk):
        numbers = self.ids[label]
        return numbers.setdefault(pk, len(numbers) + 1)

    def user(self, user):
        if user is None:
            return None
        if user.pk not in self.people:
            self.people[user.pk] = (len(self.people) + 1, user)
        return self.people[user.pk][0]

    def open(self, name):
        return self.zip.open(_info(name), "w", force_zip64=True)

    def rows(self, name, rows):
        with self.open(f"{name}.jsonl") as handle:
            for row in rows:
                handle.write(json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")

    def file(self, name, source):
        with self.open(name) as handle:
            shutil.copyfileobj(source, handle, 1 << 20)

    def path(self, name, filename):
        with open(filename, "rb") as source:
            self.file(name, source)


class Reader:
    def __init__(self, zf: zipfile.ZipFile):
        self.zip = zf
        self.names = set(zf.namelist())
        self.objects: dict[str, dict] = defaultdict(dict)
        self.people: dict[int, User] = {}

    def has(self, name):
        return name in self.names

    def content(self, name):
        if name not in self.names:
            raise ImportProblem(f"The archive lacks {name}.")
        return self.zip.open(name)

    def rows(self, name):
        path = f"{name}.jsonl"
        if path not in self.names:
            return
        with self.zip.open(path) as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise ImportProblem(f"{path}, line {number}, is not JSON: {exc}.") from None

    def remember(self, label, local, obj):
        self.objects[label][local] = obj

    def get(self, label, local):
        try:
            return self.objects[label][local]
        except KeyError:
            raise ImportProblem(f"The archive refers to {label} {local}, which it does not hold.") from None

    def user(self, local):
        if local is None:
            return None
        try:
            return self.people[local]
        except KeyError:
            raise ImportProblem(f"The archive refers to user {local}, who is not in users.jsonl.") from None


def _manifest(team, writer, counts):
    from experiments.transfer import parquet_available

    return {
        "format": "teamsite-team-export", "format_version": FORMAT_VERSION, "exported_at": timezone.now().isoformat(),
        "team": {"slug": team.slug, "name": team.name, "organization": team.organization.slug},
        "parts": [part.name for part in parts()], "points_format": "parquet" if writer.parquet else "csv", "counts": counts,
    }


def export_team(team: Team, target, *, progress=None, parquet: bool | None = None) -> dict:
    """Write the team's archive to `target` (a path or a binary file); returns the manifest."""
    from experiments.transfer import parquet_available

    use_parquet = parquet_available() if parquet is None else parquet
    with zipfile.ZipFile(target, "w", allowZip64=True) as zf:
        writer = Writer(zf, parquet=use_parquet)
        chosen = parts()
        for n, part in enumerate(chosen):
            if progress:
                progress(int(90 * n / len(chosen)), f"Writing {part.name}")
            part.dump(team, writer)
        people = sorted(writer.people.values(), key=lambda item: item[0])
        writer.rows("users", ({"id": local, **{f: getattr(u, f) for f in USER_FIELDS}} for local, u in people))
        counts = {label: len(ids) for label, ids in sorted(writer.ids.items())} | {"users": len(people)}
        manifest = _manifest(team, writer, counts)
        with writer.open("manifest.json") as handle:
            handle.write(json.dumps(manifest, indent=2, sort_keys=True).encode())
    if progress:
        progress(100, "Done")
    return manifest


def _free_username(wanted):
    name, n = wanted[:140], 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{wanted[:130]}-{n}"
    return name


def _people(reader: Reader):
    for row in reader.rows("users"):
        found = User.objects.filter(email__iexact=row["email"], is_service=False).order_by("pk").first() if row["email"] else None
        if found is None:  # a person this site does not know: created inactive, without a password
            found = User.objects.create(username=_free_username(row["username"]), email=row["email"], display_name=row["display_name"],
                                        is_service=row["is_service"], is_active=False, password=make_password(None))
        reader.people[row["id"]] = found


def read_manifest(zf: zipfile.ZipFile) -> dict:
    if "manifest.json" not in zf.namelist():
        raise ImportProblem("This is not a teamsite export: it has no manifest.json.")
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except ValueError as exc:
        raise ImportProblem(f"manifest.json is not JSON: {exc}.") from None
    if manifest.get("format") != "teamsite-team-export":
        raise ImportProblem("manifest.json does not describe a teamsite team export.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ImportProblem(f"This archive has format version {manifest.get('format_version')}; this site reads version {FORMAT_VERSION}.")
    return manifest


def import_team(source, *, organization: Organization, slug: str | None = None) -> Team:
    """Create a team from an archive, in one transaction: any problem raises ImportProblem and changes nothing."""
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportProblem(f"This is not a zip archive: {exc}.") from None
    with zf:
        manifest = read_manifest(zf)
        slug = slug or manifest["team"]["slug"]
        try:
            validate_team_slug(slug)
        except Exception as exc:  # noqa: BLE001 - a ValidationError, said plainly
            raise ImportProblem(f"“{slug}” cannot be a team's name in URLs: {' '.join(getattr(exc, 'messages', [str(exc)]))}") from None
        if Team.objects.filter(slug__iexact=slug).exists():
            raise ImportProblem(f"There is already a team {slug}; choose another with --slug.")
        reader = Reader(zf)
        try:
            with transaction.atomic():
                team = Team.objects.create(organization=organization, slug=slug, name=manifest["team"]["name"])
                _people(reader)
                for part in parts():
                    part.load(team, reader)
        except ImportProblem:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportProblem(f"The archive is damaged or incomplete ({type(exc).__name__}: {exc}).") from None
    return team
