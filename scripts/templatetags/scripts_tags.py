from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    """mapping[key], or the key itself when absent (e.g. a disposition code without a label)."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key
