from django.urls import path

from portfolios import views

app_name = "portfolios"

urlpatterns = [
    path("registrations/", views.registration_list, name="registration-list"),
    path("registrations/new/", views.registration_create_view, name="registration-create"),
    path("registrations/bulk/", views.registration_bulk, name="registration-bulk"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration-detail"),
    path("registrations/<int:pk>/units/", views.registration_units, name="registration-units"),
]
