"""`{{ form.field|bootstrap_field }}`: a field drawn as crispy draws it, at a fraction of the
cost (portal/fields.py)."""

from django import template

from portal.fields import bootstrap_field

register = template.Library()
register.filter("bootstrap_field", bootstrap_field)
