from django.urls import path

from qualifications import views

app_name = "qualifications"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("qualifications/<int:pk>/", views.qualification_detail, name="qualification-detail"),
    path("units/<int:pk>/", views.unit_detail, name="unit-detail"),
    path("search/", views.search, name="search"),
]
