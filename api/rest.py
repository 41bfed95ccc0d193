"""The API's framework pieces: token authentication, scopes, the rate limit, one JSON shape for
every error, and the cursor of the events feed (decision 57)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken, Scope
from api.services import is_centre_admin, reads_count, token_for
from portal.models import User
from portal.refusals import Refused
from portal.templatetags.sentences import joined
from portal.throttle import client_address

if TYPE_CHECKING:
    from rest_framework.views import APIView

log = logging.getLogger(__name__)

NO_TOKEN = "Send your centre's API token: Authorization: Bearer <token>."
BAD_TOKEN = "The token is unknown or revoked."
MAKER_LEFT = (
    "The centre admin who made this token no longer administers the centre: "
    "a centre admin makes a new one."
)
NO_SCOPE = "This token does not have the {scope!r} scope, which this call needs."
USED_EVERY = 60  # seconds: a token's last use is written at most this often
TOO_DEEP = "The JSON is nested too deeply to read."
TOO_BIG = "The request body is larger than the portal accepts ({size} bytes at most)."
NO_SUCH_ENDPOINT = "There is no such endpoint."
ADD_THE_SLASH = "There is no such endpoint: its address ends with a slash, {path}"


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer vqp_<prefix>_<secret>`. The call acts as the token's maker, while
    they are still a centre admin of its centre."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).decode("latin-1").split()
        if not header:
            return None
        if len(header) != 2 or header[0].lower() != self.keyword.lower():
            refuse_anonymous(request, exceptions.AuthenticationFailed(NO_TOKEN))
        token = token_for(header[1])
        if token is None:
            refuse_anonymous(request, exceptions.AuthenticationFailed(BAD_TOKEN))
        maker = token.created_by
        if not maker.is_active or not is_centre_admin(maker, token.centre_id):
            raise exceptions.AuthenticationFailed(MAKER_LEFT)
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return maker, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class TokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "api.rest.TokenAuthentication"
    name = "centreToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A centre's API token."}


def token_of(request: Request) -> ApiToken:
    token = request.auth
    assert isinstance(token, ApiToken)
    return token


class HasScope(BasePermission):
    """Reads need `read`; a write needs the scope its view names (`write_scope`). Reads are
    counted for the token here, once it is let through."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken):
            refuse_anonymous(request, exceptions.NotAuthenticated(NO_TOKEN))
        needed = Scope.READ if request.method in SAFE_METHODS else view.write_scope  # type: ignore[attr-defined]
        if needed not in token.scopes:
            raise exceptions.PermissionDenied(NO_SCOPE.format(scope=str(needed)))
        if request.method in SAFE_METHODS:
            reads_count(token)
        return True


class TokenRateThrottle(SimpleRateThrottle):
    """So many calls a minute per token (API_RATE_LIMIT), counted in the portal's cache."""

    scope = "api"

    def get_rate(self) -> str:
        return str(settings.API_RATE_LIMIT)

    def get_cache_key(self, request: Request, view: APIView | None) -> str | None:
        token = request.auth
        if isinstance(token, ApiToken):
            return f"api-throttle-{token.pk}"
        return f"api-throttle-anon-{client_address(request)}"


class AnonymousRateThrottle(TokenRateThrottle):
    """Calls without a token that works, so many a minute per client address
    (API_ANON_RATE_LIMIT; the address as login throttling takes it, TRUSTED_PROXY_COUNT)."""

    scope = "api-anonymous"

    def get_rate(self) -> str:
        return str(settings.API_ANON_RATE_LIMIT)

    def get_cache_key(self, request: Request, view: APIView | None) -> str | None:
        # Not `request.auth`: this is asked while the token is being looked at.
        return f"api-throttle-anonymous-{client_address(request)}"


def refuse_anonymous(request: Request, refusal: exceptions.APIException) -> NoReturn:
    """Refuse a call without a token that works; past the rate for its address, with a 429.
    DRF checks throttles only once a call is let through, so these are counted here."""
    throttle = AnonymousRateThrottle()
    if not throttle.allow_request(request, None):  # type: ignore[arg-type]
        raise exceptions.Throttled(throttle.wait())
    raise refusal


class JsonParser(JSONParser):
    """DRF's JSON parser, but JSON nested deeper than Python's recursion limit is a 400 like
    any other JSON it cannot read, not a RecursionError (a 500)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None


class Metadata(SimpleMetadata):
    """OPTIONS: what the endpoint is, renders and parses, and where its request bodies are
    described (the OpenAPI document). Not DRF's field list, which it would draw from the
    answer's serializer: fields only read (`id`, `status`) offered for a POST."""

    def determine_metadata(self, request: Request, view: APIView) -> dict[str, Any]:
        data: dict[str, Any] = super().determine_metadata(request, view)
        data.pop("actions", None)
        data["schema"] = reverse("api-schema")
        return data


CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "server_error",
}


def error_body(
    status_code: int, message: str, fields: dict[str, list[str]] | None = None, code: str = ""
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code or CODES.get(status_code, "error"), "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def flat(detail: Any) -> list[str]:
    """A field's errors as sentences, however deep the serializer nested them."""
    if isinstance(detail, dict):
        return [f"{key}: {text}" for key, value in detail.items() for text in flat(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in flat(item)]
    return [str(detail)]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Every error in one shape: {"error": {"code", "message", "fields"?}}."""
    if isinstance(exc, Refused):
        return Response(error_body(400, joined(exc.messages), code="refused"), status=400)
    if isinstance(exc, RequestDataTooBig):
        size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body(413, TOO_BIG.format(size=size)), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if not isinstance(exc, exceptions.APIException):
        log.exception("The API failed", exc_info=exc)
        return Response(error_body(500, "Something went wrong on our side."), status=500)
    headers = {}
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(int(exc.wait or 1))
        message = f"Too many calls: try again in {int(exc.wait or 1)} seconds."
        return Response(error_body(429, message), status=429, headers=headers)
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        headers["WWW-Authenticate"] = TokenAuthentication.keyword
    detail = exc.detail
    if isinstance(detail, dict | list) and exc.status_code == status.HTTP_400_BAD_REQUEST:
        fields = (
            {str(k): flat(v) for k, v in detail.items()}
            if isinstance(detail, dict)
            else {"non_field_errors": flat(detail)}
        )
        body = error_body(400, "The request has errors: see fields.", fields)
    else:
        body = error_body(exc.status_code, joined(flat(detail)))
    return Response(body, status=exc.status_code, headers=headers)


@csrf_exempt  # a token's call never carries a CSRF token: the error shape, not the HTML 403
def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Any address under /api/ that is not an endpoint: the error shape, never a page. An
    endpoint's address without its final slash is named with it (a redirect would lose a
    POST's body)."""
    message = NO_SUCH_ENDPOINT
    if not request.path.endswith("/"):
        with_slash = f"{request.path}/"
        try:
            endpoint = resolve(with_slash).url_name != "not-found"
        except Resolver404:
            endpoint = False
        if endpoint:
            message = ADD_THE_SLASH.format(path=with_slash)
    return JsonResponse(error_body(404, message), status=404)
