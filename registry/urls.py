from django.urls import path

import teams.urls  # noqa: F401  (registers the ts_slug converter)

from . import registry_views, views

V = "<ts_slug:team>/<ts_slug:project>/artifacts/<ts_slug:name>/<ts_slug:version>/"

# Before the experiment routes: "registry" is a word no project may take.
urlpatterns = [
    path("<ts_slug:team>/settings/registry/", registry_views.settings_registry, name="team-settings-registry"),
    path("<ts_slug:team>/registry/", registry_views.registry_home, name="registry"),
    path("<ts_slug:team>/registry/<ts_slug:model>/", registry_views.model_detail, name="registry-model"),
    path("<ts_slug:team>/registry/<ts_slug:model>/aliases/", registry_views.model_alias, name="registry-model-alias"),
    path("<ts_slug:team>/registry/<ts_slug:model>/delete/", registry_views.model_delete, name="registry-model-delete"),
    path("<ts_slug:team>/registry/<ts_slug:model>/<ts_slug:version>/unlink/", registry_views.model_unlink, name="registry-model-unlink"),
    path("<ts_slug:team>/registry/<ts_slug:model>/<ts_slug:version>/files/<path:path>", registry_views.model_file, name="registry-model-file"),
    path("<ts_slug:team>/<ts_slug:project>/artifacts/", views.artifact_list, name="artifacts"),
    path("<ts_slug:team>/<ts_slug:project>/artifacts/<ts_slug:name>/", views.artifact_detail, name="artifact"),
    path("<ts_slug:team>/<ts_slug:project>/artifacts/<ts_slug:name>/aliases/", views.alias_set, name="artifact-alias"),
    path(V, views.version_detail, name="artifact-version"),
    path(V + "edit/", views.version_edit, name="artifact-version-edit"),
    path(V + "delete/", views.version_delete, name="artifact-version-delete"),
    path(V + "lineage/", views.lineage, name="artifact-lineage"),
    path(V + "link/", registry_views.link_to_registry, name="artifact-link"),
    path(V + "files/<path:path>", views.version_file, name="artifact-file"),
]
