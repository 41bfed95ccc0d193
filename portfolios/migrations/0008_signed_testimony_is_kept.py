"""A witness's signed testimony cannot be changed or removed, by anyone, on PostgreSQL.

The services refuse it with a message first; these triggers say the same at the database,
whatever path a change takes (the admin site, a shell, a data migration, a bug). After a
witness confirms, their request (statement, name, e-mail, signature and the rest) is frozen
whole, and so are the evidence item made from it (its title, date, method, description,
declaration, portfolio and author; only the assessor's judged-at mark may still be set) and
its files. The local SQLite default relies on the services alone.

The one exception is erasure: the retention run anonymises a learner past the retention period,
witness testimony included, in a transaction that says so (`erasing_personal_data()` in
portfolios/records.py sets `portal.erasing_personal_data` for that transaction only).
"""

from django.db import migrations

MESSAGE = "A witness has signed this testimony: it cannot be changed or removed."

CREATE = f"""
CREATE FUNCTION portfolios_witness_request_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('portal.erasing_personal_data', true) = 'on' THEN
        -- The retention run, anonymising a learner past the retention period (privacy app):
        -- set for its own transaction only (SET LOCAL), never by a request.
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION '{MESSAGE}'
            USING ERRCODE = 'restrict_violation',
                  DETAIL = format('witness request %s, confirmed at %s', OLD.id, OLD.confirmed_at);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER witness_request_kept_once_signed
    BEFORE UPDATE OR DELETE ON portfolios_witnessrequest
    FOR EACH ROW WHEN (OLD.confirmed_at IS NOT NULL)
    EXECUTE FUNCTION portfolios_witness_request_kept();

CREATE FUNCTION portfolios_signed_evidence(evidence bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM portfolios_witnessrequest
        WHERE evidence_id = evidence AND confirmed_at IS NOT NULL
    )
$$;

CREATE FUNCTION portfolios_signed_evidence_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('portal.erasing_personal_data', true) = 'on' THEN
        -- The retention run, anonymising a learner past the retention period (privacy app):
        -- set for its own transaction only (SET LOCAL), never by a request.
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF portfolios_signed_evidence(OLD.id) AND (
        TG_OP = 'DELETE'
        OR (NEW.title, NEW.occurred_on, NEW.method, NEW.description, NEW.declared_at,
            NEW.registration_id, NEW.created_by_id, NEW.created_at, NEW.id)
           IS DISTINCT FROM
           (OLD.title, OLD.occurred_on, OLD.method, OLD.description, OLD.declared_at,
            OLD.registration_id, OLD.created_by_id, OLD.created_at, OLD.id)
    ) THEN
        RAISE EXCEPTION '{MESSAGE}'
            USING ERRCODE = 'restrict_violation',
                  DETAIL = format('evidence %s', OLD.id);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;  -- a BEFORE trigger that returns nothing would skip the deletion
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER signed_evidence_kept
    BEFORE UPDATE OR DELETE ON portfolios_evidence
    FOR EACH ROW EXECUTE FUNCTION portfolios_signed_evidence_kept();

CREATE FUNCTION portfolios_signed_evidence_files_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('portal.erasing_personal_data', true) = 'on' THEN
        -- The retention run, anonymising a learner past the retention period (privacy app):
        -- set for its own transaction only (SET LOCAL), never by a request.
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    IF (TG_OP <> 'INSERT' AND portfolios_signed_evidence(OLD.evidence_id))
       OR (TG_OP <> 'DELETE' AND portfolios_signed_evidence(NEW.evidence_id)) THEN
        RAISE EXCEPTION '{MESSAGE}'
            USING ERRCODE = 'restrict_violation',
                  DETAIL = 'a file of signed witness evidence';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER signed_evidence_files_kept
    BEFORE INSERT OR UPDATE OR DELETE ON portfolios_evidencefile
    FOR EACH ROW EXECUTE FUNCTION portfolios_signed_evidence_files_kept();
"""

DROP = """
DROP TRIGGER signed_evidence_files_kept ON portfolios_evidencefile;
DROP FUNCTION portfolios_signed_evidence_files_kept();
DROP TRIGGER signed_evidence_kept ON portfolios_evidence;
DROP FUNCTION portfolios_signed_evidence_kept();
DROP FUNCTION portfolios_signed_evidence(bigint);
DROP TRIGGER witness_request_kept_once_signed ON portfolios_witnessrequest;
DROP FUNCTION portfolios_witness_request_kept();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("portfolios", "0007_one_active_registration_per_qualification"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
