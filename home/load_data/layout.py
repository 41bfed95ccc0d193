"""Who is where: the centres, their people's names and e-mail addresses, and how learners are
spread over assessors and IQAs. Plain Python: the contract other tools rely on is here.

- Centres are named `Load centre NN`: 00 is the small one, 01 onwards the big ones.
- E-mails: `admin@cNN.load.test`, `assessorK@cNN.load.test`, `iqaK@cNN.load.test`,
  `learnerK@cNN.load.test`, K from 1.
- Every fifth assessor (assessor5, assessor10 ...) is a trainee, countersigned by the one
  before; assessor1 is qualified and has learners. Learners go to assessors and IQAs in turn.
- The small centre has two assessors, assessor2 a trainee countersigned by assessor1, and one
  IQA: every main page a big centre has, it has too (a trainee's, countersigning), so the two
  can be compared.
"""

from __future__ import annotations

from dataclasses import dataclass

CENTRE_NAME = "Load centre {number:02d}"
CENTRE_PREFIX = "Load centre "
EMAIL_DOMAIN = "c{number:02d}.load.test"
TRAINEE_EVERY = 5
SMALL_CENTRE_ASSESSORS = 2  # a qualified one and a trainee
SMALL_CENTRE_TRAINEE_EVERY = 2

FIRST_NAMES = (
    "Aaliyah",
    "Aaron",
    "Abigail",
    "Adam",
    "Adebayo",
    "Aisha",
    "Alex",
    "Alice",
    "Amara",
    "Amir",
    "Ana",
    "Andrew",
    "Anika",
    "Ben",
    "Bethany",
    "Caleb",
    "Callum",
    "Chen",
    "Chloe",
    "Chidi",
    "Daniel",
    "Darius",
    "Deepa",
    "Ella",
    "Emeka",
    "Emily",
    "Ethan",
    "Fatima",
    "Finn",
    "Freya",
    "Gabriel",
    "Grace",
    "Hana",
    "Harry",
    "Hassan",
    "Imani",
    "Isaac",
    "Isla",
    "Jack",
    "Jade",
    "Jamal",
    "Jasmine",
    "Kai",
    "Kemi",
    "Kwame",
    "Layla",
    "Leah",
    "Liam",
    "Lucia",
    "Malik",
    "Maya",
    "Mohammed",
    "Nadia",
    "Nathan",
    "Nia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Rhys",
    "Rosa",
    "Ruby",
    "Sam",
    "Sana",
    "Sofia",
    "Tariq",
    "Theo",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zain",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Ahmed",
    "Ali",
    "Allen",
    "Appiah",
    "Baker",
    "Bennett",
    "Brown",
    "Campbell",
    "Carter",
    "Chowdhury",
    "Clarke",
    "Cole",
    "Davies",
    "Edwards",
    "Evans",
    "Fernandes",
    "Fraser",
    "Green",
    "Griffiths",
    "Hall",
    "Harris",
    "Hughes",
    "Hussain",
    "Jackson",
    "James",
    "Johnson",
    "Jones",
    "Kaur",
    "Khan",
    "Kim",
    "King",
    "Lewis",
    "Lopez",
    "Martin",
    "Mensah",
    "Mitchell",
    "Moore",
    "Morgan",
    "Murphy",
    "Nguyen",
    "Novak",
    "Okafor",
    "Okoye",
    "Owusu",
    "Parker",
    "Patel",
    "Phillips",
    "Price",
    "Reid",
    "Roberts",
    "Robinson",
    "Rossi",
    "Scott",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Turner",
    "Walker",
    "Ward",
    "Watson",
    "White",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
)


def full_name(number: int, kind: str, k: int) -> str:
    """A name that varies with the person and the centre, the same on every run."""
    seed = k * 7919 + number * 104729 + sum(map(ord, kind)) * 31
    first = FIRST_NAMES[seed % len(FIRST_NAMES)]
    last = LAST_NAMES[(seed // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} {last}"


def email(number: int, kind: str, k: int | None = None) -> str:
    person = kind if k is None else f"{kind}{k}"
    return f"{person}@{EMAIL_DOMAIN.format(number=number)}"


def spread(total: int, parts: int) -> list[int]:
    """`total` shared out over `parts` as evenly as can be, the larger shares first."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


@dataclass(frozen=True)
class CentrePlan:
    number: int
    learners: int
    assessors: int
    iqas: int
    trainee_every: int = TRAINEE_EVERY

    @property
    def name(self) -> str:
        return CENTRE_NAME.format(number=self.number)

    @property
    def is_small(self) -> bool:
        return self.number == 0

    def is_trainee(self, k: int) -> bool:
        return k % self.trainee_every == 0

    def assessor_of(self, learner: int) -> int:
        """The assessor (K) of learner K, in turn, so assessor1 has the first learner."""
        return (learner - 1) % self.assessors + 1

    def iqa_of(self, learner: int) -> int:
        return (learner - 1) % self.iqas + 1

    def countersigner_of(self, assessor: int) -> int:
        """The qualified assessor who countersigns a trainee's decisions: the one before."""
        return assessor - 1


def centre_plans(
    *, centres: int, learners: int, assessors: int, iqas: int, small_centre_learners: int
) -> list[CentrePlan]:
    """The small centre (00), if it has learners, then the big ones, people spread evenly."""
    plans = []
    if small_centre_learners > 0:
        plans.append(
            CentrePlan(
                0,
                small_centre_learners,
                SMALL_CENTRE_ASSESSORS,
                1,
                trainee_every=SMALL_CENTRE_TRAINEE_EVERY,
            )
        )
    if centres > 0:
        shares = zip(
            spread(learners, centres),
            spread(assessors, centres),
            spread(iqas, centres),
            strict=True,
        )
        for number, (learner_count, assessor_count, iqa_count) in enumerate(shares, start=1):
            plans.append(CentrePlan(number, learner_count, assessor_count, iqa_count))
    return plans
