"""Chinese first: pages are in Chinese unless the user picks English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an
office PC with an English Windows would show English pages to staff who never
asked for them. Pages follow only the user's explicit choice (the language
cookie set by the switch in the top bar); API clients (/api/ and Open311's
/open311/) keep Accept-Language.
"""

from django.conf import settings

API_PREFIXES = ("/api/", "/open311/")


class ChineseFirstMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
            request.META.setdefault("HTTP_ACCEPT_LANGUAGE", settings.LANGUAGE_CODE)
        return self.get_response(request)
