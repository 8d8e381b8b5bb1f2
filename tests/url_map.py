"""The site's URLs as the resolver lists them, for the tests that walk every view."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver


def all_url_patterns(
    resolver: URLResolver | None = None, prefix: str = "", converters: tuple[str, ...] = ()
) -> list[tuple[str, URLPattern, tuple[str, ...]]]:
    """Every named URL with the path converters it needs, its parents' included."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        needs = converters + tuple(pattern.pattern.converters)
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            found += all_url_patterns(pattern, namespace, needs)
        else:
            found.append((f"{prefix}{pattern.name}", pattern, needs))
    return found
