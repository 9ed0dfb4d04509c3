"""One way to show a service's ValidationError on the form the person filled in."""


def form_errors_add(form, exc, *, field_map=None):
    """Put each message of ``exc`` on its field (renamed by ``field_map``), or on the form as a
    whole when the form has no such field or the error names none."""
    field_map = field_map or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        field = field_map.get(field, field)
        form.add_error(field if field in form.fields else None, messages)
