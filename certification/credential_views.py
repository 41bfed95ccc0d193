"""Open credentials (decision 56): the learner's download, the public keys and status list a
verifier fetches, and the page that verifies a pasted or uploaded credential."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from certification.access import certificate_for
from certification.credentials import (
    MEDIA_TYPE,
    Unverified,
    credential_document,
    did_document,
    no_credential_because,
    status_list_credential,
    verify_here,
)
from certification.forms import CredentialForm
from certification.keys import public_jwks
from certification.verification import allowed
from portal.http import PortalRequest

# Published for anyone to fetch and keep: a short cache, since a revocation must show soon.
PUBLIC_CACHE = "public, max-age=300"


@login_required
@require_safe
def credential_download(request: PortalRequest, pk: int) -> HttpResponse:
    """The certificate's Open Badges 3.0 credential as a JSON file, for whoever may see the
    certificate (its learner, their assessor and IQA, the centre's admins). A claim the AO's
    EQA has not let out is no certificate yet (decision 29), so it has no credential; a revoked
    or replaced one has none either, and the person is sent to its page, which says why."""
    certificate = certificate_for(request, pk)
    if certificate.is_withheld:
        raise Http404("The certificate is not issued yet.")
    why = no_credential_because(certificate)
    if why:
        messages.error(request, why)
        return redirect("certification:certificate-detail", certificate.pk)
    body = json.dumps(credential_document(certificate), indent=2)
    response = HttpResponse(body, content_type="application/json")
    # The number is letters, digits and hyphens only: safe in a header as it is.
    name = f"{certificate.number}-credential.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(public_jwks())
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_safe
def did(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(did_document(), content_type="application/did+json")
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_safe
def status(request: HttpRequest) -> HttpResponse:
    """The revocation list: a signed BitstringStatusListCredential, made afresh."""
    response = HttpResponse(status_list_credential(), content_type=MEDIA_TYPE)
    response["Cache-Control"] = PUBLIC_CACHE
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def verify_credential_page(request: HttpRequest) -> HttpResponse:
    """Public: is this credential genuine, still valid, and the certificate the portal issued?
    Nothing is stored; checks are limited per address as number lookups are."""
    if request.method != "POST":
        return render(request, "certification/verify_credential.html", {"form": CredentialForm()})
    form = CredentialForm(request.POST, request.FILES)
    context: dict[str, object] = {"form": form}
    if not form.is_valid():
        return render(request, "certification/verify_credential.html", context)
    if not allowed(request):
        context["limited"] = True
        return render(request, "certification/verify_credential.html", context, status=429)
    try:
        verified, certificate = verify_here(form.text)
    except Unverified as why:
        context["failure"] = str(why)
    else:
        context.update(verified=verified, certificate=certificate)
    return render(request, "certification/verify_credential.html", context)
