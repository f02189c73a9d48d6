"""Partners made before crm_clients is installed, the way years of use leave them.

Plain SQL (``generate_series``), so that a million partners take seconds: the database
only needs ``base`` (``contacts`` adds ``email_normalized``, ``sms`` adds
``phone_sanitized``; those columns are filled when they exist, as core would have).

    fill(cr, 100_000)      # cr: a psycopg2 or Odoo cursor, in a transaction of its own

What the generated partners look like (``i`` is the row number):
- one in five is a company, two in five are its contact persons (children, not clients),
  two in five are individuals;
- 85 % have an email, typed as people type them (capitals, spaces, a display name), a few
  are not emails at all; 80 % a phone in eight formats (``+48 22 …``, ``(22) …``, ``0048``,
  no ``+``, ``tel.``, a German one), a few unparsable; 40 % of individuals a mobile;
- seven in ten companies have a tax ID: Polish NIPs in four formats, 3 % failing their
  checksum, German VAT numbers for German companies.

``KNOWN`` partners are added with fixed values for the tests (test_existing_partners.py).
"""

import os
import sys

# name, is_company, parent name, country code, email, phone, mobile, vat, second company
# fmt: off
KNOWN = [
    ("Known Phone Sp. z o.o.", True, None, "PL", "biuro@known-phone.example", "+48 22 100 03 11", None, None, False),
    ("Known Contact", False, "Known Phone Sp. z o.o.", "PL", "anna@known-phone.example", None, "601-234-567", None, False),
    ("Dup Email One", True, None, "PL", "Sales@Dup-Example.com", None, None, None, False),
    ("Dup Email Two", True, None, "PL", "  sales@dup-example.com ", None, None, None, False),
    ("Dup Phone One", True, None, "PL", None, "22 555 66 77", None, None, False),
    ("Dup Phone Two", True, None, "PL", None, "+48 (22) 555-66-77", None, None, False),
    ("Bad Nip Sp. z o.o.", True, None, "PL", None, None, None, "526-104-08-29", False),
    ("Shared Nip One", True, None, "PL", None, None, None, "PL 526-104-08-28", False),
    ("Shared Nip Two", True, None, "PL", None, None, None, "5261040828", False),
    ("Formatted Nip", True, None, None, None, None, None, "PL 197-760-05-66", False),
    ("Bad Email Person", False, None, "PL", "jan.kowalski(at)example.pl", "brak telefonu", None, None, False),
    ("Same Number Person", False, None, "PL", None, "22 777 88 99", "+48 22 777 88 99", None, False),
    ("German GmbH", True, None, "DE", "info@german.example", "030 1234567", None, "DE123456789", False),
    ("Second Company Client", True, None, "PL", "x@second.example", None, None, "123-456-78-90", True),
]
# fmt: on

# A valid NIP (official weights) for a number: the next 9-digit base whose check digit
# is not 10.
_NIP_FUNCTION = """
CREATE OR REPLACE FUNCTION pg_temp.crm_bench_nip(n bigint) RETURNS text AS $$
DECLARE
    base bigint := 100000000 + (n * 7919) % 900000000;
    digits text;
    check_digit int;
BEGIN
    LOOP
        digits := lpad(base::text, 9, '0');
        check_digit := (substr(digits, 1, 1)::int * 6 + substr(digits, 2, 1)::int * 5
            + substr(digits, 3, 1)::int * 7 + substr(digits, 4, 1)::int * 2
            + substr(digits, 5, 1)::int * 3 + substr(digits, 6, 1)::int * 4
            + substr(digits, 7, 1)::int * 5 + substr(digits, 8, 1)::int * 6
            + substr(digits, 9, 1)::int * 7) % 11;
        EXIT WHEN check_digit < 10;
        base := base + 1;
    END LOOP;
    RETURN digits || check_digit::text;
END $$ LANGUAGE plpgsql IMMUTABLE
"""

# Columns of core's res_partner filled for every row; {base} is the first id minus one.
_GENERATED = """
WITH countries AS (
    SELECT (SELECT id FROM res_country WHERE code = 'PL') AS pl, (SELECT id FROM res_country WHERE code = 'DE') AS de
), rows AS (
    SELECT i, {base} + i AS id,
           CASE WHEN i % 5 = 0 THEN 'company' WHEN i % 5 IN (1, 2) THEN 'contact' ELSE 'person' END AS kind,
           CASE WHEN i % 10 < 8 THEN (SELECT pl FROM countries) WHEN i % 10 = 8 THEN (SELECT de FROM countries) END
               AS country_id,
           (2000000 + i % 8000000)::text AS seven,
           CASE WHEN i % 5 = 0 THEN pg_temp.crm_bench_nip(i) END AS nip
      FROM generate_series(1, {count}) AS i
), typed AS (
    SELECT r.*,
           CASE WHEN kind = 'company' THEN 'Existing Company ' || i || ' Sp. z o.o.'
                ELSE 'Existing Person ' || i END AS name,
           CASE WHEN kind = 'contact' THEN {base} + i - i % 5 END AS parent_id,
           CASE i % 20
               WHEN 12 THEN '  Person.' || i || '@Example.COM '
               WHEN 13 THEN 'PERSON' || i || '@EXAMPLE.PL'
               WHEN 14 THEN '"Person ' || i || '" <person' || i || '@example.pl>'
               WHEN 15 THEN 'person' || i || '(at)example.pl'
               WHEN 16 THEN CASE WHEN i % 40 = 16 THEN 'brak' ELSE 'person' || i || '@example.com' END
               WHEN 17 THEN NULL WHEN 18 THEN NULL WHEN 19 THEN NULL
               ELSE 'person' || i || '@example.com' END AS email,
           CASE WHEN (i / 5) % 20 >= 17 THEN NULL
                WHEN i % 10 = 8 THEN '030 ' || seven
                WHEN i % 10 = 9 THEN '+48 22 ' || seven
                ELSE CASE (i / 5) % 20
                    WHEN 0 THEN '+48 22 ' || substr(seven, 1, 3) || ' ' || substr(seven, 4, 2) || ' ' || substr(seven, 6)
                    WHEN 1 THEN '22 ' || substr(seven, 1, 3) || ' ' || substr(seven, 4, 2) || ' ' || substr(seven, 6)
                    WHEN 2 THEN '(22) ' || substr(seven, 1, 3) || '-' || substr(seven, 4, 2) || '-' || substr(seven, 6)
                    WHEN 3 THEN '0048 22 ' || seven
                    WHEN 4 THEN '4822' || seven
                    WHEN 5 THEN 'tel. 22 ' || seven
                    WHEN 6 THEN '+48 22 ' || seven
                    WHEN 7 THEN '+4822' || seven
                    WHEN 8 THEN '22' || seven
                    WHEN 9 THEN '22-' || substr(seven, 1, 3) || '-' || substr(seven, 4)
                    WHEN 10 THEN '+48 (22) ' || seven
                    WHEN 11 THEN '022 ' || seven
                    WHEN 12 THEN CASE WHEN i % 3 = 0 THEN 'brak' ELSE '123' END
                    WHEN 13 THEN '+48 22 ' || seven
                    WHEN 14 THEN '22 ' || seven
                    WHEN 15 THEN '48 22 ' || seven
                    ELSE '+48 22 ' || seven END END AS phone,
           CASE WHEN kind = 'company' OR i % 5 = 1 OR i % 7 >= 4 THEN NULL
                WHEN i % 10 = 8 THEN '0151 1' || seven
                ELSE CASE WHEN i % 10 = 9 THEN '+48 ' ELSE '' END
                     || (ARRAY['601', '602', '603', '691', '501', '512', '531', '661', '721', '781'])[i % 3 + 1]
                     || ' ' || substr(seven, 2, 3) || ' ' || substr(seven, 5) END AS mobile,
           CASE WHEN kind <> 'company' OR i % 10 >= 7 THEN NULL
                WHEN country_id = (SELECT de FROM countries) THEN 'DE' || lpad((i % 1000000000)::text, 9, '0')
                -- 3 % fail their checksum: the check digit is off by one
                WHEN (i / 5) % 33 = 0 THEN left(nip, 9) || ((right(nip, 1)::int + 1) % 10)::text
                WHEN i % 4 = 0 THEN nip
                WHEN i % 4 = 1 THEN 'PL' || nip
                WHEN i % 4 = 2 THEN substr(nip, 1, 3) || '-' || substr(nip, 4, 3) || '-' || substr(nip, 7, 2)
                                    || '-' || substr(nip, 9)
                ELSE 'PL ' || nip END AS vat
      FROM rows r
)
INSERT INTO res_partner (id, name, complete_name, type, active, is_company, parent_id, commercial_partner_id,
                         country_id, email, phone, mobile, vat, lang, street, city, zip, employee,
                         partner_share, create_uid, create_date, write_uid, write_date{extra_columns})
SELECT id, name,
       CASE WHEN parent_id IS NULL THEN name ELSE 'Existing Company ' || (i - i % 5) || ' Sp. z o.o., ' || name END,
       'contact', i % 97 <> 0, kind = 'company', parent_id, COALESCE(parent_id, id),
       country_id, email, phone, mobile, vat,
       'en_US', 'ul. Istniejąca ' || i, 'Warszawa', '00-' || lpad((i % 1000)::text, 3, '0'), false,
       true, 1, now() - ({count} - i) * interval '1 minute', 1, now(){extra_values}
  FROM typed
"""


def _columns(cr):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = 'res_partner'")
    return {row[0] for row in cr.fetchall()}


def fill(cr, count, known=True):
    """Insert ``count`` generated partners (and the ``KNOWN`` ones); return their ids range."""
    columns = _columns(cr)
    extra_columns, extra_values = [], []
    if "email_normalized" in columns:
        # What core's email_normalize keeps of an address (close enough for the data).
        extra_columns.append("email_normalized")
        extra_values.append(
            "CASE WHEN email ~ '@' AND email !~ '[()]' "
            "THEN lower(btrim(substring(email from '([^<>\\s\"]+@[^<>\\s\"]+)'))) END"
        )
    if "message_bounce" in columns:
        extra_columns.append("message_bounce")
        extra_values.append("0")
    # The company running Odoo is a Polish one: numbers typed without a country are Polish.
    cr.execute(
        """UPDATE res_partner SET country_id = (SELECT id FROM res_country WHERE code = 'PL')
            WHERE id IN (SELECT partner_id FROM res_company) AND country_id IS NULL"""
    )
    cr.execute(_NIP_FUNCTION)
    cr.execute("SELECT COALESCE(max(id), 0) FROM res_partner")
    base = cr.fetchone()[0]
    query = _GENERATED.format(
        base=base,
        extra_columns="".join(f", {column}" for column in extra_columns),
        extra_values="".join(f", {value}" for value in extra_values),
        count=int(count),
    )
    cr.execute(query)
    last = base + count
    if known:
        last = _insert_known(cr, last)
    cr.execute("SELECT setval('res_partner_id_seq', %s)", [last])
    return base + 1, last


def _insert_known(cr, last):
    # Without core's normalized columns (email_normalized, phone_sanitized): what finds
    # them afterwards (search, duplicates) is what the install gave them.
    cr.execute("SELECT code, id FROM res_country WHERE code IN ('PL', 'DE')")
    countries = dict(cr.fetchall())
    cr.execute("SELECT id FROM res_company WHERE name = 'Second Company'")
    second = cr.fetchone()
    ids = {}
    for name, is_company, parent, country, email, phone, mobile, vat, in_second in KNOWN:
        last += 1
        ids[name] = last
        parent_id = ids[parent] if parent else None
        cr.execute(
            """
            INSERT INTO res_partner (id, name, complete_name, type, active, is_company, parent_id,
                                     commercial_partner_id, company_id, country_id, email, phone, mobile, vat,
                                     lang, employee, partner_share, create_uid, create_date, write_uid, write_date)
            VALUES (%(id)s, %(name)s, %(complete)s, 'contact', true, %(is_company)s, %(parent_id)s,
                    COALESCE(%(parent_id)s, %(id)s), %(company_id)s, %(country_id)s, %(email)s, %(phone)s,
                    %(mobile)s, %(vat)s, 'en_US', false, true, 1, now(), 1, now())
            """,
            {
                "id": last,
                "name": name,
                "complete": f"{parent}, {name}" if parent else name,
                "is_company": is_company,
                "parent_id": parent_id,
                "company_id": second[0] if in_second and second else None,
                "country_id": countries.get(country),
                "email": email,
                "phone": phone,
                "mobile": mobile,
                "vat": vat,
            },
        )
    return last


def main(argv):
    """``python tests/install/existing_partners.py DB COUNT``: the database of tools/test.sh's
    install stage. A second company is made with Odoo's ORM (plain Odoo, before our
    install), then the partners by SQL, and a copy of what they hold, for the tests to
    compare after the install."""
    import odoo
    from odoo.tools import config

    db, count = argv[0], int(argv[1])
    config.parse_config(["-c", os.environ["ODOO_RC"], "-d", db])
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        poland = env.ref("base.pl")
        env.company.country_id = poland
        env["res.company"].create({"name": "Second Company", "country_id": poland.id})
        env.flush_all()
        first, last = fill(cr, count)
        cr.execute(
            """CREATE TABLE crm_clients_test_partners_before AS
               SELECT id, email, phone, mobile, vat FROM res_partner"""
        )
    print(f"{db}: partners {first} to {last}")


if __name__ == "__main__":
    main(sys.argv[1:])
