from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form on the site, ours and allauth's, renders through components/."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
