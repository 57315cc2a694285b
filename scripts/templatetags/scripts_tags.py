from django import template

from ..placeholders import render_outline

register = template.Library()


@register.filter
def lookup(mapping, key):
    """mapping[key], or the key itself when absent (e.g. a disposition code without a label)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


@register.filter
def person(user):
    """A user's name in Japanese order (family name first), else the username."""
    if user is None:
        return "—"
    return f"{user.last_name} {user.first_name}".strip() or user.username


@register.filter
def outline(text):
    """Script text as the editor shows it: escaped, placeholders highlighted by name."""
    return render_outline(text)
