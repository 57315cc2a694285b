from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (pagination, sorting links)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, field, label):
    """Header link toggling ?sort=field / ?sort=-field, with an arrow on the active column."""
    from django.utils.html import format_html

    request = context["request"]
    current = request.GET.get("sort", "")
    descending = current == f"-{field}"
    new = field if descending or current != field else f"-{field}"
    query = request.GET.copy()
    query["sort"] = new
    query.pop("page", None)
    arrow = ""
    if current == field:
        arrow = " ▲"
    elif descending:
        arrow = " ▼"
    return format_html('<a href="?{}" class="sort-link">{}{}</a>', query.urlencode(), label, arrow)


@register.filter
def display_name(user):
    """Family name first, as Japanese names are written (佐藤 花子); the username when unnamed."""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()


PRODUCT_NAME = "Callcenter"


@register.filter
def page_title(title) -> str:
    """The browser tab's title: "顧客 | Callcenter", or the product name alone for a page without one
    (the page's own title comes first, so tabs and history tell pages apart)."""
    title = " ".join(str(title).split())
    return f"{title} | {PRODUCT_NAME}" if title else PRODUCT_NAME
