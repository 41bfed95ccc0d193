"""The REST API for a centre's learner records system (issue 21): token-authenticated, scoped to
one centre, reusing the services the pages use. The top floor: it may import every app, and no
app imports it (docs/decisions/0057-rest-api.md)."""
