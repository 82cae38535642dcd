"""The error summary at the top of a long form: every problem once, each field's linked to
that field (the field shows its own message too), so a person who submitted sees at once what
to fix and can jump to it. Used with ``templates/_snippets/error_summary.html``."""

from django.forms.forms import NON_FIELD_ERRORS


def error_links(form, *, prefix: str = "", anchors: dict[str, str] | None = None) -> list[dict]:
    """[{"text", "href"}] for ``form``'s errors: field errors first, in the form's field order,
    linking to the field's id (or to ``anchors[name]`` for a field drawn by hand, e.g. a group
    of radio buttons); then the form-wide errors, without a link. ``prefix`` names the part of
    the page when several forms share labels ("Hands · Iontophoresis: …")."""
    if form is None or not form.is_bound:
        return []
    anchors = anchors or {}
    links = []
    for name in form.fields:
        if name not in form.errors:
            continue
        field = form[name]
        anchor = anchors.get(name) or field.id_for_label or field.auto_id
        label = f"{prefix}{field.label}" if field.label else prefix.rstrip(" ·:")
        for message in form.errors[name]:
            links.append(
                {"text": f"{label}: {message}" if label else message, "href": f"#{anchor}"}
            )
    for message in form.errors.get(NON_FIELD_ERRORS, []):
        links.append({"text": f"{prefix}{message}", "href": ""})
    return links
