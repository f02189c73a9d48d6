"""The databases of `make bench-scale`: ``crm_scale_tpl_<size>``, built once and reused.

A template holds ``size`` clients made the way a company migrating into Odoo would have
them, then given everything crm_clients gives a client:

1. ``crm_scale_tpl_empty``: Odoo's ``contacts`` only (made once);
2. a copy of it gets ``size * 5 / 3`` partners by SQL (tests/install/existing_partners.py:
   one in five a company, two in five its contact persons, two in five individuals; emails
   and phones typed as people type them, Polish NIPs in four formats, some invalid),
   names made like Polish ones (see _vary; one company in a thousand named like its
   neighbour) and plain Odoo's internal reference (``ref``) on every top-level partner;
3. ``crm_clients`` is installed into it: its install hook gives every existing partner
   what a create gives it today (email and phone lines, the mirrored primary email and
   phone, normalized tax IDs, a client number, the default status, the Data Quality
   report), so the data are those of our own code, not a guess of them;
4. then by SQL, what years of use add: a second and third email and phone line on most
   partners, REGON / KRS on companies and PESEL on persons (valid checksums, stored
   normalized as our create stores them), an external reference on nine clients in ten,
   tags, statuses spread over the pipeline, 5 chatter messages per client on average, and
   one client with 10,000 timeline entries (notes, emails, activities done, status changes
   with their tracking values, on the client and its contact persons);
5. VACUUM ANALYZE, and the copy becomes the template (a build that fails half-way never
   does).

A template is rebuilt when this generator changes, and upgraded in place (``-u
crm_clients``) when the addon's version or schema (its fields, indexes and constraints)
changes: ``python templates.py SIZE`` does whatever is needed and prints the template's name.
"""

import contextlib
import hashlib
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "install"))

from common import ROOT  # noqa: E402
from common import odoo  # noqa: E402
from existing_partners import fill  # noqa: E402

EMPTY = "crm_scale_tpl_empty"
TIMELINE_ENTRIES = 10_000
TIMELINE_REF = "SCALE-TIMELINE"  # external reference of the client with 10,000 entries


def template_name(size):
    return f"crm_scale_tpl_{size}"


def data_hash():
    """What the generated data depend on: this file and the partner generator."""
    digest = hashlib.sha256()
    for path in (Path(__file__), ROOT / "tests" / "install" / "existing_partners.py"):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_SCHEMA_LINE = re.compile(r"fields\.\w+\(|index|INDEX|_sql_constraints|unique\(|TRIGGER|\"version\"")


def schema_hash():
    """The addon's version and the lines of its models that shape the tables."""
    digest = hashlib.sha256()
    addon = ROOT / "crm_clients"
    for path in [addon / "__manifest__.py", *sorted((addon / "models").glob("*.py"))]:
        for line in path.read_text().splitlines():
            if _SCHEMA_LINE.search(line):
                digest.update(line.strip().encode())
    return digest.hexdigest()[:16]


def run(*args):
    subprocess.run(args, check=True, capture_output=True)


def dropdb(name):
    subprocess.run(["dropdb", "--if-exists", "--force", name], check=False, capture_output=True)


def exists(name):
    with connect("postgres") as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.rowcount)


def connect(db):
    """A connection closed on exit (psycopg2's own context manager only commits)."""
    return contextlib.closing(psycopg2.connect(dbname=db))


def parameter(db, key):
    with connect(db) as conn, conn.cursor() as cr:
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [key])
        row = cr.fetchone()
        return row and row[0]


def set_parameters(db, values):
    with connect(db) as conn, conn, conn.cursor() as cr:
        for key, value in values.items():
            cr.execute(
                """INSERT INTO ir_config_parameter (key, value, create_uid, create_date, write_uid, write_date)
                   VALUES (%s, %s, 1, now(), 1, now())
                   ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""",
                [key, value],
            )


def odoo_step(db, args, log_name):
    code = odoo("-d", db, *args, "--stop-after-init", "--log-level", "warn", log_name=log_name)
    text = (ROOT / ".local" / "logs" / log_name).read_text(errors="replace")
    if code or " ERROR " in text or " CRITICAL " in text:
        raise SystemExit(f"{' '.join(args)} in {db} failed, see .local/logs/{log_name}")


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def ensure_empty():
    if exists(EMPTY) and parameter(EMPTY, "crm_scale.empty") == "1":
        return
    dropdb(EMPTY)
    say(f"{EMPTY}: installing contacts")
    odoo_step(EMPTY, ["-i", "contacts", "--without-demo", "all"], "bench-scale-empty.log")
    set_parameters(EMPTY, {"crm_scale.empty": "1"})


def ensure_template(size):
    """The template of ``size`` clients, built or upgraded when needed; returns its name."""
    name = template_name(size)
    if exists(name) and parameter(name, "crm_scale.data_hash") == data_hash():
        if parameter(name, "crm_scale.schema_hash") == schema_hash():
            say(f"{name}: up to date")
            return name
        say(f"{name}: crm_clients changed, upgrading the template in place")
        started = time.perf_counter()
        odoo_step(name, ["-u", "crm_clients"], f"bench-scale-upgrade-{size}.log")
        with connect(name) as conn:
            conn.autocommit = True
            conn.cursor().execute("ANALYZE")
        set_parameters(name, {"crm_scale.schema_hash": schema_hash()})
        say(f"{name}: upgraded in {time.perf_counter() - started:.0f} s")
        return name
    build(size)
    return name


def build(size):
    ensure_empty()
    name, work = template_name(size), f"crm_scale_build_{size}"
    dropdb(work)
    run("createdb", "-T", EMPTY, work)
    started = time.perf_counter()
    partners = math.ceil(size * 5 / 3)  # three in five partners are clients
    with connect(work) as conn, conn, conn.cursor() as cr:
        first, last = fill(cr, partners, known=False)
        _vary(cr, first, last)
    say(f"{work}: {partners:,} partners by SQL in {time.perf_counter() - started:.0f} s; installing crm_clients")
    step = time.perf_counter()
    odoo_step(work, ["-i", "crm_clients", "--without-demo", "all"], f"bench-scale-install-{size}.log")
    say(f"{work}: crm_clients installed in {time.perf_counter() - step:.0f} s; what years of use add")
    step = time.perf_counter()
    with connect(work) as conn, conn, conn.cursor() as cr:
        _enrich(cr, first, last)
    with connect(work) as conn:
        conn.autocommit = True
        conn.cursor().execute("VACUUM ANALYZE")
    set_parameters(work, {"crm_scale.data_hash": data_hash(), "crm_scale.schema_hash": schema_hash()})
    say(f"{work}: enriched in {time.perf_counter() - step:.0f} s")
    dropdb(name)
    with connect("postgres") as conn:
        conn.autocommit = True
        conn.cursor().execute(f'ALTER DATABASE "{work}" RENAME TO "{name}"')
    say(f"{name}: built in {time.perf_counter() - started:.0f} s")


# Names made the way Polish ones are, chosen by hashing each partner's id: words whose
# trigrams real names share ("bud", "pol", "ski"), a few very common surnames and first
# names over a long tail (most people's full name is rare, "Anna Nowak" is not), and
# company names built like real ones ("Transpol Nowak Sp. z o.o.", "Usługi Budowlane
# Jan Wójcik", "Eko-Budmex Opole Sp. j.", "Hurtownia Budmex Kraków S.A.").
_FIRST_NAMES = {
    "f": "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Elżbieta Magdalena Joanna Zofia "
    "Monika Teresa Danuta Natalia Aleksandra Karolina Marta Beata Dorota Halina Jadwiga Justyna Paulina",
    "m": "Piotr Krzysztof Andrzej Tomasz Paweł Jan Michał Marcin Stanisław Jakub Adam Marek Łukasz Grzegorz "
    "Mateusz Wojciech Mariusz Dariusz Zbigniew Jerzy Maciej Rafał Kamil Robert Józef",
}
# The most common surnames (masculine form), a quarter of the people.
_COMMON_SURNAMES = (
    "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski "
    "Kozłowski Jankowski Mazur Wojciechowski Kwiatkowski Krawczyk Kaczmarek Piotrowski Grabowski Zając "
    "Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Nowakowski Majewski Olszewski Stępień Malinowski "
    "Jaworski Adamczyk Dudek Nowicki Pawlak Górski Witkowski Walczak Sikora Baran Rutkowski Michalak Szewczyk "
    "Ostrowski Tomaszewski Pietrzak Zalewski Wróblewski"
)
# The long tail: a stem and an ending (9,000 surnames).
_SURNAME_HEADS = "Ko Wa Ma Za Gro Kra Szy Cho Ja Pa Le Mi Ro Ba Dą Wo Ku Ze Bo Ga Ha Li Ne Pi Ra Sa Ta Wi Zi Du"
_SURNAME_MIDDLES = "wal rek lin bor now sik dzi tar mur pie gór las lew kow mar ban cer dor fil gaj hof jur kul mik zur"
_SURNAME_ENDINGS = "ski cki ak ek czyk ewicz owski iak uk ny ała ik"
_STEMS = (
    "Agro Auto Bud Eko Elektro Energo Euro Farm Gaz Geo Hydro Inter Kom Lux Med Metal Moto Pol Prod Profi Stal "
    "Tech Tele Termo Trans Drew Chem Rol Meb Opto Plast Pap Tex Sped Info Net Dom Ogród Mleko Pro"
)
_SUFFIXES = "mex pol bud tech tex med trans serwis sped plast stal hurt net dom rem instal car max pak land"
_TRADES = (
    "Usługi Budowlane|Transport|Handel|Serwis|Hurtownia|Consulting|Logistyka|Instalacje|Przedsiębiorstwo Handlowe|"
    "Zakład Produkcyjny|Biuro Rachunkowe|Kancelaria|Studio|Piekarnia|Apteka|Warsztat Samochodowy|Produkcja|Systemy|"
    "Technologie|Projekt|Usługi Remontowe|Doradztwo|Przychodnia|Sklep|Drukarnia"
)
_CITIES = (
    "Warszawa Kraków Łódź Wrocław Poznań Gdańsk Szczecin Bydgoszcz Lublin Białystok Katowice Gdynia Częstochowa "
    "Radom Toruń Kielce Rzeszów Gliwice Zabrze Olsztyn Opole Płock Elbląg Tarnów Sopot"
)


def _words(text, sep=None):
    """A PostgreSQL array literal of these words."""
    words = text.split(sep)
    return "ARRAY[" + ", ".join("'" + word.replace("'", "''") + "'" for word in words) + "]"


def _pick(words, key, salt, sep=None):
    """SQL: one of ``words``, chosen by hashing ``key`` with ``salt``."""
    array = _words(words, sep)
    return f"({array})[1 + abs(hashtext(({key})::text || '{salt}')) % {len(words.split(sep))}]"


def _surname(key, feminine):
    """SQL: a surname (a common one for a quarter of the people, else one of the long
    tail), made feminine when ``feminine`` (SQL) is true: -ski and -cki become -ska and
    -cka, other endings stay as they are (an "-ny" surname is not made "-na")."""
    tail = " || ".join(
        _pick(words, key, salt)
        for words, salt in ((_SURNAME_HEADS, "h"), (_SURNAME_MIDDLES, "m"), (_SURNAME_ENDINGS, "e"))
    )
    masculine = f"CASE WHEN abs(hashtext(({key})::text || 'c')) % 4 = 0 THEN {_pick(_COMMON_SURNAMES, key, 's')} ELSE {tail} END"
    return f"regexp_replace({masculine}, CASE WHEN {feminine} THEN '(sk|ck)i$' ELSE '^$' END, '\\1a')"


def _vary(cr, first, last):
    """Names like real ones (before the install, which copies them everywhere), and plain
    Odoo's internal reference on every top-level partner. One company in a thousand is
    named like its neighbour (a duplicate to find)."""
    key = f"CASE WHEN (id - {first}) % 1000 = 500 THEN id - 5 ELSE id END"
    brand = f"{_pick(_STEMS, key, 'b')} || {_pick(_SUFFIXES, key, 'x')}"
    owner_feminine = f"abs(hashtext(({key})::text || 'g')) % 2 = 0"
    owner = (
        f"CASE WHEN {owner_feminine} THEN {_pick(_FIRST_NAMES['f'], key, 'o')} ELSE {_pick(_FIRST_NAMES['m'], key, 'o')} END"
        f" || ' ' || {_surname(key, owner_feminine)}"
    )
    form = f"({_words('Sp. z o.o.|Sp. z o.o.|Sp. z o.o.|S.A.|Sp. k.|Sp. j.', '|')})[1 + abs(hashtext(({key})::text || 'f')) % 6]"
    trade = _pick(_TRADES, key, "t", "|")
    company = f"""CASE abs(hashtext(({key})::text || 'p')) % 4
        WHEN 0 THEN {brand} || ' ' || {_surname(key, 'false')} || ' ' || {form}
        WHEN 1 THEN {trade} || ' ' || {owner}
        WHEN 2 THEN {_pick(_STEMS, key, 'a')} || '-' || {brand} || ' ' || {_pick(_CITIES, key, 'y')} || ' ' || {form}
        ELSE {trade} || ' ' || {brand} || ' ' || {_pick(_CITIES, key, 'y')} || ' ' || {form} END"""
    feminine = "abs(hashtext(id::text || 'g')) % 2 = 0"
    person = (
        f"CASE WHEN {feminine} THEN {_pick(_FIRST_NAMES['f'], 'id', 'n')} ELSE {_pick(_FIRST_NAMES['m'], 'id', 'n')} END"
        f" || ' ' || {_surname('id', feminine)}"
    )
    cr.execute(
        f"""
        UPDATE res_partner p
           SET name = CASE WHEN p.is_company THEN {company} ELSE {person} END,
               ref = CASE WHEN p.parent_id IS NULL THEN 'R' || p.id END
         WHERE p.id BETWEEN {int(first)} AND {int(last)}
        """
    )
    cr.execute(
        f"""UPDATE res_partner p
              SET complete_name = CASE WHEN p.parent_id IS NULL THEN p.name ELSE c.name || ', ' || p.name END
             FROM res_partner c
            WHERE c.id = COALESCE(p.parent_id, p.id) AND p.id BETWEEN {int(first)} AND {int(last)}"""
    )


_ID_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.crm_scale_check(digits text, weights int[], modulo int) RETURNS int AS $$
    SELECT sum(substr(digits, i, 1)::int * weights[i]) % modulo
      FROM generate_subscripts(weights, 1) AS i
$$ LANGUAGE sql IMMUTABLE;
-- REGON (9 digits): weights 8 9 2 3 4 5 6 7, modulo 11, 10 counts as 0
CREATE OR REPLACE FUNCTION pg_temp.crm_scale_regon(n bigint) RETURNS text AS $$
    SELECT base || (pg_temp.crm_scale_check(base, ARRAY[8, 9, 2, 3, 4, 5, 6, 7], 11) % 10)::text
      FROM (SELECT lpad((10000000 + n * 7 % 89999999)::text, 8, '0') AS base) b
$$ LANGUAGE sql IMMUTABLE;
-- PESEL: a birth date in the 1980s, a serial, check (10 - sum mod 10) mod 10
CREATE OR REPLACE FUNCTION pg_temp.crm_scale_pesel(n bigint) RETURNS text AS $$
    SELECT base || ((10 - pg_temp.crm_scale_check(base, ARRAY[1, 3, 7, 9, 1, 3, 7, 9, 1, 3], 10)) % 10)::text
      FROM (SELECT lpad((80 + n % 10)::text, 2, '0') || lpad((1 + n % 12)::text, 2, '0')
                   || lpad((1 + n % 28)::text, 2, '0') || lpad((n % 10000)::text, 4, '0') AS base) b
$$ LANGUAGE sql IMMUTABLE;
"""


def _run(cr, query, **values):
    """Run ``query`` with ``values`` (integers or lists of them) written into it."""
    literal = {k: f"ARRAY[{','.join(str(int(v)) for v in value)}]::int[]" if isinstance(value, list) else int(value)
               for k, value in values.items()}  # fmt: skip
    cr.execute(query.format(**literal))


def _enrich(cr, first, last):
    # Bulk data of our own making: the change feed's triggers are left out (an install or
    # a migration does not fill the feed either), foreign keys are consistent by design.
    cr.execute("SET LOCAL session_replication_role = replica")
    cr.execute(_ID_FUNCTIONS)
    ids = {"first": first, "last": last}
    # Polish identifiers, stored normalized (digits) as our create stores them.
    _run(
        cr,
        """UPDATE res_partner
              SET regon = CASE WHEN is_company AND id % 3 <> 1 THEN pg_temp.crm_scale_regon(id) END,
                  krs = CASE WHEN is_company AND id % 2 = 0 THEN lpad((id % 10000000000)::text, 10, '0') END,
                  pesel = CASE WHEN NOT is_company AND parent_id IS NULL AND id % 4 = 0
                               THEN pg_temp.crm_scale_pesel(id) END,
                  external_ref = CASE WHEN is_client AND id % 11 <> 7 THEN 'EXT-' || id END
            WHERE id BETWEEN {first} AND {last}""",
        **ids,
    )
    # A second email line on every partner that has one, a third on every other one.
    _run(
        cr,
        """INSERT INTO crm_client_email (partner_id, sequence, email, is_primary, locked, is_valid, is_invoicing,
                                         role, create_uid, write_uid, create_date, write_date)
           SELECT e.partner_id, 10 + k, CASE k WHEN 1 THEN 'office.' ELSE 'billing.' END || e.partner_id
                                        || CASE k WHEN 1 THEN '@example.net' ELSE '@example.org' END,
                  false, false, true, k = 2, CASE k WHEN 1 THEN 'office' ELSE 'invoices' END,
                  1, 1, e.create_date, e.write_date
             FROM crm_client_email e CROSS JOIN generate_series(1, 2) k
            WHERE e.is_primary AND e.partner_id BETWEEN {first} AND {last} AND (k = 1 OR e.partner_id % 2 = 0)""",
        **ids,
    )
    # The same for phones: +48 58 / +48 61 numbers of their own (E.164, as the lines store them).
    _run(
        cr,
        """INSERT INTO crm_client_phone (partner_id, sequence, number, is_primary, locked, is_valid, is_mobile,
                                         is_whatsapp, role, create_uid, write_uid, create_date, write_date)
           SELECT p.partner_id, 10 + k,
                  CASE k WHEN 1 THEN '+4858' ELSE '+4861' END || lpad((p.partner_id % 10000000)::text, 7, '0'),
                  false, false, true, false, false, CASE k WHEN 1 THEN 'office' ELSE 'warehouse' END,
                  1, 1, p.create_date, p.write_date
             FROM (SELECT DISTINCT ON (partner_id) partner_id, create_date, write_date FROM crm_client_phone
                    WHERE partner_id BETWEEN {first} AND {last} ORDER BY partner_id, id) p
                  CROSS JOIN generate_series(1, 2) k
            WHERE k = 1 OR p.partner_id % 2 = 1""",
        **ids,
    )
    # Tags: 30 of them, one client in three has one, one in seven a second.
    cr.execute(
        """INSERT INTO res_partner_category (name, color, active, create_uid, write_uid, create_date, write_date)
           SELECT jsonb_build_object('en_US', 'Segment ' || k), k % 12, true, 1, 1, now(), now()
             FROM generate_series(1, 30) k RETURNING id"""
    )
    tags = [row[0] for row in cr.fetchall()]
    _run(
        cr,
        """INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
           SELECT id, ({tags})[1 + (id / k) % 30] FROM res_partner CROSS JOIN (VALUES (3), (7)) t(k)
            WHERE is_client AND id BETWEEN {first} AND {last} AND id % k = 0
           ON CONFLICT DO NOTHING""",
        **ids,
        tags=tags,
    )
    # Statuses over the pipeline: 30 % New, 50 % Active, 5 % VIP, 15 % in the folded last one.
    cr.execute("SELECT id FROM crm_client_status ORDER BY sequence, id")
    statuses = [row[0] for row in cr.fetchall()]
    _run(
        cr,
        """UPDATE res_partner
              SET client_status_id = ({statuses})[CASE WHEN id / 5 % 20 < 6 THEN 1 WHEN id / 5 % 20 < 16 THEN 2
                                                        WHEN id / 5 % 20 = 16 THEN 3 ELSE 4 END],
                  priority = (id / 5 % 4)::text
            WHERE is_client AND id BETWEEN {first} AND {last}""",
        **ids,
        statuses=(statuses + statuses[-1:] * 4)[:4],
    )
    # 5 messages per client on average (1 to 9): notes, emails and notifications.
    cr.execute("SELECT id FROM mail_message_subtype WHERE internal ORDER BY id LIMIT 1")
    [note] = cr.fetchone()
    cr.execute("SELECT id FROM mail_message_subtype WHERE internal IS NOT TRUE ORDER BY id LIMIT 1")
    [discussion] = cr.fetchone()
    _run(
        cr,
        """INSERT INTO mail_message (model, res_id, record_name, message_type, subtype_id, body, date, author_id,
                                     is_internal, create_uid, write_uid, create_date, write_date)
           SELECT 'res.partner', p.id, p.name, CASE k % 3 WHEN 0 THEN 'comment' WHEN 1 THEN 'email' ELSE 'notification' END,
                  CASE k % 3 WHEN 0 THEN {note} ELSE {discussion} END,
                  '<p>Message ' || k || ' about order ' || (p.id * 7 + k) || '</p>',
                  p.create_date + k * interval '1 hour', 3, k % 3 = 0, 2, 2,
                  p.create_date + k * interval '1 hour', p.create_date + k * interval '1 hour'
             FROM res_partner p CROSS JOIN LATERAL generate_series(1, 1 + p.id % 9) k
            WHERE p.is_client AND p.id BETWEEN {first} AND {last}""",
        **ids,
        note=note,
        discussion=discussion,
    )
    _timeline_client(cr, first, note)


def _timeline_client(cr, first, note):
    """A company client with 20 contact persons and 10,000 timeline entries: notes and
    emails on it and its contacts, activities done, 200 status changes (tracking values)."""
    cr.execute(
        "SELECT id FROM res_partner WHERE is_client AND is_company AND active AND id >= %s ORDER BY id LIMIT 1",
        [first + 500],
    )
    [client] = cr.fetchone()
    cr.execute("UPDATE res_partner SET external_ref = %s WHERE id = %s", [TIMELINE_REF, client])
    cr.execute("SELECT id FROM res_partner WHERE parent_id = %s", [client])
    contacts = [row[0] for row in cr.fetchall()]
    cr.execute(
        """INSERT INTO res_partner (name, complete_name, type, active, is_company, parent_id, commercial_partner_id,
                                    lang, employee, partner_share, is_client, create_uid, write_uid, create_date,
                                    write_date)
           SELECT 'Contact ' || k, c.name || ', Contact ' || k, 'contact', true, false, c.id, c.id, 'en_US', false,
                  true, false, 1, 1, now(), now()
             FROM res_partner c CROSS JOIN generate_series(1, %s) k WHERE c.id = %s RETURNING id""",
        [20 - len(contacts), client],
    )
    family = [client, *contacts, *(row[0] for row in cr.fetchall())]
    cr.execute("SELECT id FROM mail_activity_type ORDER BY id LIMIT 1")
    [activity_type] = cr.fetchone()
    cr.execute("SELECT count(*) FROM mail_message WHERE model = 'res.partner' AND res_id = ANY(%s)", [family])
    [already] = cr.fetchone()
    cr.execute(
        """INSERT INTO mail_message (model, res_id, message_type, subtype_id, mail_activity_type_id, body, date,
                                     author_id, is_internal, create_uid, write_uid, create_date, write_date)
           SELECT 'res.partner', (%s::int[])[1 + n %% 21], CASE WHEN n %% 5 = 0 THEN 'email' ELSE 'comment' END,
                  CASE WHEN n %% 5 = 0 THEN NULL ELSE %s END, CASE WHEN n %% 17 = 0 THEN %s END,
                  '<p>Entry ' || n || ' about the offer</p>', now() - (n || ' minutes')::interval, 3, n %% 5 <> 0,
                  2, 2, now(), now()
             FROM generate_series(1, %s) n""",
        [family, note, activity_type, TIMELINE_ENTRIES - 200 - already],
    )
    cr.execute("SELECT id FROM ir_model_fields WHERE model = 'res.partner' AND name = 'client_status_id'")
    [status_field] = cr.fetchone()
    cr.execute(
        """WITH m AS (
             INSERT INTO mail_message (model, res_id, message_type, subtype_id, body, date, author_id, create_uid,
                                       write_uid, create_date, write_date)
             SELECT 'res.partner', %s, 'notification', NULL, '', now() - (n || ' hours')::interval, 3, 2, 2,
                    now(), now() FROM generate_series(1, 200) n RETURNING id)
           INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_char, new_value_char,
                                            create_uid, write_uid, create_date, write_date)
           SELECT id, %s, 'New', 'Active', 2, 2, now(), now() FROM m""",
        [client, status_field],
    )


def main(argv):
    for size in argv:
        print(ensure_template(int(size)))


if __name__ == "__main__":
    main(sys.argv[1:])
