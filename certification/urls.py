from django.urls import path

from certification import credential_views, export_views, transfer_views, views

app_name = "certification"

urlpatterns = [
    path("claims/", views.claims, name="claims"),
    path("claims/new/", views.claim, name="claim"),
    path("claims/confirm/", views.claim_confirm, name="claim-confirm"),
    path("claims/export/", export_views.results_file, name="results-file"),
    path("claims/pack/<int:pk>/", export_views.portfolio_pack, name="portfolio-pack"),
    path("transfers/", transfer_views.transfer_list, name="transfers"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/pack/", transfer_views.transfer_pack, name="transfer-pack"),
    path("registrations/<int:pk>/transfer/", transfer_views.transfer_new, name="transfer-new"),
    path("certificates/", views.certificate_list, name="certificate-list"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/pdf/", views.certificate_download, name="certificate-pdf"),
    path(
        "certificates/<int:pk>/credential/",
        credential_views.credential_download,
        name="certificate-credential",
    ),
    # Open credentials (decision 56): what a verifier needs, at stable public addresses.
    path(".well-known/jwks.json", credential_views.jwks, name="credential-jwks"),
    path(".well-known/did.json", credential_views.did, name="credential-did"),
    path("credentials/status/revocation", credential_views.status, name="credential-status"),
    path("verify/credential/", credential_views.verify_credential_page, name="verify-credential"),
    path("verify/", views.verify_page, name="verify"),
    path("verify/<str:number>/", views.verify_page, name="verify-number"),
]
