"""The admin home's people table, drawn in Python (home.views.people_rows): the same HTML the
template's loop drew, escaping included."""

from django.template import Context, Template

from home.views import people_rows
from portal.models import Role, RoleKind, User

# The loop as templates/home/centre_admin.html had it.
LOOP = Template(
    """{% for person, roles, link in people %}
        <tr>
          <td><a href="{{ link }}">{{ person.full_name }}</a></td>
          <td data-label="E-mail">{{ person.email }}</td>
          <td data-label="Roles here">{% for r in roles %}<span class="badge text-bg-secondary me-1">{{ r.label }}</span>{% endfor %}</td>
        </tr>
      {% endfor %}"""
)

PEOPLE = [
    (
        User(pk=1, full_name="Siobhán O'Brien <b>&</b>", email="s.o'brien&co@example.test"),
        [Role(kind=RoleKind.ASSESSOR, is_trainee=True), Role(kind=RoleKind.IQA)],
        '/people/1/?a=1&b="2"',
    ),
    (User(pk=2, full_name="Noah Smith", email="noah@example.test"), [], "/people/2/"),
    (
        User(pk=3, full_name="Ada", email="ada@example.test"),
        [Role(kind=RoleKind.CENTRE_ADMIN)],
        "/people/3/",
    ),
]


def test_the_people_rows_are_what_the_template_drew():
    assert people_rows(PEOPLE) == LOOP.render(Context({"people": PEOPLE}))


def test_no_people_draw_nothing():
    assert people_rows([]) == LOOP.render(Context({"people": []})) == ""
