"""Benchmark: the Timeline tab of a client with 10,000 entries (notes and emails on the
client and its 20 contact persons, status changes, activities done, quotations), among
200,000 messages of other clients. Plain Odoo doing the same work: the 40 newest messages
of the client and its contact persons read with mail.message search_read (what the
chatter does for one record), over the same XML-RPC connection.

Goals: a timeline page (any page, any filter) at most 2x plain Odoo's read, and under 0.15 s.
(The number of SQL queries of a page not depending on the number of entries is proven by
crm_clients/tests/test_timeline.py.)"""

import statistics
import sys
import time

from common import Server
from common import free_port
from common import fresh_database

DB = "crm_bench_timeline"
ENTRIES, OTHERS, RUNS = 10_000, 200_000, 15
RATIO_GOAL, SECONDS_GOAL = 2.0, 0.15


def timed(func):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    print(f"installing crm_clients and sale in {DB}...", flush=True)
    fresh_database(DB, "crm_clients,sale")
    server = Server(free_port())
    try:
        call = server.session(DB)
        [client] = call("res.partner", "create", [{"name": "Timeline Bench Sp. z o.o.", "is_company": True}])
        contacts = call("res.partner", "create", [{"name": f"Person {i}", "parent_id": client} for i in range(20)])
        others = call("res.partner", "create", [{"name": f"Other {i}", "is_company": True} for i in range(200)])
        [product] = call("product.product", "create", [{"name": "Chair"}])
        orders = call(
            "sale.order",
            "create",
            [{"partner_id": client, "order_line": [(0, 0, {"product_id": product})]} for _ in range(20)],
        )
        import psycopg2

        with psycopg2.connect(dbname=DB) as conn, conn.cursor() as cr:
            cr.execute("SELECT id FROM mail_message_subtype WHERE internal ORDER BY id LIMIT 1")
            [note] = cr.fetchone()
            cr.execute("SELECT id FROM mail_activity_type ORDER BY id LIMIT 1")
            [activity_type] = cr.fetchone()
            family = [client, *contacts]
            # the client's entries: notes, emails, activities done; 300 on its quotations
            cr.execute(
                """INSERT INTO mail_message (model, res_id, message_type, subtype_id, mail_activity_type_id,
                                             body, subject, date, author_id, create_date, write_date)
                   SELECT CASE WHEN n %% 33 = 0 THEN 'sale.order' ELSE 'res.partner' END,
                          CASE WHEN n %% 33 = 0 THEN (%s::int[])[1 + n %% 20] ELSE (%s::int[])[1 + n %% 21] END,
                          CASE WHEN n %% 5 = 0 THEN 'email' ELSE 'comment' END,
                          CASE WHEN n %% 5 = 0 THEN NULL ELSE %s END,
                          CASE WHEN n %% 17 = 0 THEN %s END,
                          '<p>Entry ' || n || ' about the offer</p>', NULL,
                          now() - (n || ' minutes')::interval, 3, now(), now()
                     FROM generate_series(1, %s) n""",
                [orders, family, note, activity_type, ENTRIES - 200],
            )
            # 200 status changes (tracking values on the client)
            cr.execute("SELECT id FROM ir_model_fields WHERE model = 'res.partner' AND name = 'client_status_id'")
            [status_field] = cr.fetchone()
            cr.execute(
                """WITH m AS (
                     INSERT INTO mail_message (model, res_id, message_type, subtype_id, body, date, author_id,
                                               create_date, write_date)
                     SELECT 'res.partner', %s, 'notification', NULL, '', now() - (n || ' hours')::interval, 3,
                            now(), now() FROM generate_series(1, 200) n RETURNING id)
                   INSERT INTO mail_tracking_value (mail_message_id, field_id, old_value_char, new_value_char,
                                                    create_date, write_date)
                   SELECT id, %s, 'New', 'Active', now(), now() FROM m""",
                [client, status_field],
            )
            # everybody else's messages
            cr.execute(
                """INSERT INTO mail_message (model, res_id, message_type, subtype_id, body, date, author_id,
                                             create_date, write_date)
                   SELECT 'res.partner', (%s::int[])[1 + n %% 200], 'comment', %s, '<p>Other ' || n || '</p>',
                          now() - (n || ' seconds')::interval, 3, now(), now()
                     FROM generate_series(1, %s) n""",
                [others, note, OTHERS],
            )
            cr.execute("ANALYZE mail_message; ANALYZE mail_tracking_value; ANALYZE res_partner")

        total = call("res.partner", "client_timeline_read", [client], limit=1)["total"]
        print(f"client with {total} timeline entries, {OTHERS} messages of other clients")
        plain = timed(
            lambda: call(
                "mail.message",
                "search_read",
                [("model", "=", "res.partner"), ("res_id", "in", [client, *contacts])],
                fields=["date", "body", "author_id", "message_type", "subtype_id"],
                limit=40,
                order="id desc",
            )
        )
        cases = {
            "first page": {},
            "last page": {"offset": total - 40},
            "status changes": {"kind": "status"},
            "activities done": {"kind": "activity"},
            "other documents": {"kind": "record"},
        }
        failed = False
        print(
            f"plain Odoo, 40 newest messages of the client and its contacts: {plain * 1000:.1f} ms (median of {RUNS})"
        )
        for label, kwargs in cases.items():
            page = call("res.partner", "client_timeline_read", [client], **kwargs)
            assert page["entries"], label
            ours = timed(lambda kwargs=kwargs: call("res.partner", "client_timeline_read", [client], **kwargs))
            ratio = ours / plain
            ok = ratio <= RATIO_GOAL and ours < SECONDS_GOAL
            failed |= not ok
            print(
                f"timeline {label:16s}: {ours * 1000:6.1f} ms, {len(page['entries'])} entries, ratio {ratio:.2f} "
                f"(goal <= {RATIO_GOAL} and < {SECONDS_GOAL * 1000:.0f} ms){'' if ok else '  MISSED'}"
            )
        with psycopg2.connect(dbname=DB) as conn, conn.cursor() as cr:
            cr.execute(
                "EXPLAIN ANALYZE SELECT id FROM crm_client_timeline WHERE client_id = %s ORDER BY date DESC, id DESC LIMIT 40",
                [client],
            )
            rows = [row[0] for row in cr.fetchall()]
            print("plan of the first page (last lines):")
            print("\n".join("    " + row for row in rows[-4:]))
    finally:
        server.stop()
    if failed:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
