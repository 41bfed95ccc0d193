from django.urls import path

from competence import views

app_name = "competence"
urlpatterns = [
    path("people/<int:pk>/competence/", views.person_register, name="person"),
    path("people/<int:pk>/competence/add/", views.entry_add, name="entry-add"),
    path("competence/entries/<int:pk>/edit/", views.entry_edit, name="entry-edit"),
    path("competence/entries/<int:pk>/end/", views.entry_end_view, name="entry-end"),
    path("competence/centre/", views.centre_register, name="centre"),
    path("competence/centre/enforce/", views.enforce_view, name="enforce"),
    path("competence/", views.my_register, name="mine"),
]
