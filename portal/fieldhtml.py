"""One accessible way to show a form field: label, hint, error, autocomplete.

The templates' ``render_field`` (a template global). It was a Jinja macro; a page of
fourteen fields spent a sixth of its time in the macro's calls, and the same markup
written here costs a quarter of that. Each message names its field itself, so the
label is never glued in front of it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape


def render_field(
    field,
    hint=None,
    autocomplete=None,
    type=None,  # noqa: A002 - the input's type attribute, as templates name it
    class_="",
    mark_optional=True,
    **kwargs,
) -> Markup:
    """The field's control with its label (and "(optional)" unless it is required or
    ``mark_optional`` is false), its hint and its errors, the control described by
    both. Keyword arguments beyond these become attributes of the control."""
    hint_id, error_id = f"{field.id}-hint", f"{field.id}-error"
    errors = field.errors
    described = ([hint_id] if hint else []) + ([error_id] if errors else [])
    attrs = {}
    if described:
        attrs["aria_describedby"] = " ".join(described)
    if class_:
        attrs["class_"] = class_
    if autocomplete:
        attrs["autocomplete"] = autocomplete
    if type:
        attrs["type"] = type
    if errors:
        attrs["aria_invalid"] = "true"
    if field.type == "PasswordField":
        # The script adds a show/hide button, labelled in the page's language.
        attrs["data_show_label"] = _("Show password")
        attrs["data_hide_label"] = _("Hide password")
    attrs.update(kwargs)
    control = field(**attrs)
    hint_html = Markup(f'<p class="field__hint" id="{escape(hint_id)}">{escape(hint)}</p>')
    if field.type == "BooleanField":
        lines = [
            f'<div class="field field--check{" field--error" if errors else ""}">',
            *([f'  <p class="field__error" id="{escape(error_id)}">{error_text(errors)}</p>']
              if errors else []),
            '  <div class="check">',
            f"    {control}",
            f'    <label for="{escape(field.id)}">{escape(field.label.text)}</label>',
            "  </div>",
            *([f"  {hint_html}"] if hint else []),
            "</div>",
        ]  # fmt: skip
        return Markup("\n" + "\n".join(lines))
    optional = ""
    if mark_optional and not field.flags.required:
        # Outside the f-string: Babel's extractor does not look inside one.
        word = escape(_("(optional)"))
        optional = f' <span class="field__optional">{word}</span>'
    lines = [
        f'<div class="field{" field--error" if errors else ""}">',
        f'  <label class="field__label" for="{escape(field.id)}">'
        f"{escape(field.label.text)}{optional}</label>",
        *([f"  {hint_html}"] if hint else []),
    ]
    if errors:
        # TRANSLATORS: read by screen readers before a field's error message.
        said = escape(_("Error:"))
        lines.append(
            f'  <p class="field__error" id="{escape(error_id)}">'
            f'<span class="visually-hidden">{said} </span>{error_text(errors)}</p>'
        )
    lines += [f"  {control}", "</div>"]
    return Markup("\n" + "\n".join(lines))


def error_text(errors) -> Markup:
    return Markup(" ").join(errors)
