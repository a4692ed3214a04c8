from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form on the site, ours and allauth's, renders through components/."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"


def add_service_errors(form, exc):
    """Put a service's ValidationError on the form: each message on its field, or on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)
