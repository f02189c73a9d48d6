from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import CrmClientsCase


@tagged("post_install", "-at_install")
class TestClientTimeline(CrmClientsCase):
    def make_history(self, name="Timeline Client"):
        client = self.create_client(name=name, client_status_id=self.status_new.id)
        person = self.Partner.create({"name": f"{name} Person", "parent_id": client.id})
        # tracking messages are written at commit time, changes of a record created in the
        # same transaction are not tracked
        self.env.flush_all()
        self.env.cr.precommit.run()
        client.client_status_id = self.status_active
        self.env.flush_all()
        self.env.cr.precommit.run()
        client.message_post(body="Agreed on a call next week", message_type="comment", subtype_xmlid="mail.mt_note")
        person.message_post(body="Thanks for the offer", message_type="email", subject="Re: offer")
        activity = person.activity_schedule("mail.mail_activity_data_call", summary="Call about the offer")
        activity.action_feedback(feedback="They accept")
        return client, person

    def entries(self, partner, kind=False, **page):
        return [(entry["kind"], entry["summary"]) for entry in partner.client_timeline_read(kind, **page)["entries"]]

    def timeline(self, client):
        return self.env["crm.client.timeline"].search([("client_id", "=", client.id)])

    def test_one_feed_of_client_and_contacts_newest_first(self):
        client, person = self.make_history()
        timeline = self.timeline(client)
        kinds = timeline.mapped("kind")
        for kind in ("status", "note", "message", "activity"):
            self.assertIn(kind, kinds)
        self.assertEqual(timeline.mapped("date"), sorted(timeline.mapped("date"), reverse=True))
        status = timeline.filtered(lambda entry: entry.kind == "status")
        self.assertEqual(status.summary, f"{self.status_new.name} → {self.status_active.name}")
        message = timeline.filtered(lambda entry: entry.kind == "message")
        self.assertEqual((message.summary, message.partner_id), ("Re: offer", person))
        self.assertEqual(client.client_done_activity_ids, timeline.filtered(lambda entry: entry.kind == "activity"))
        self.assertEqual(
            self.entries(client, "activity"), [("activity", entry.summary) for entry in client.client_done_activity_ids]
        )
        # the entry opens the document it belongs to
        action = message.action_open_document()
        self.assertEqual((action["res_model"], action["res_id"]), ("res.partner", person.id))
        # a contact person's form shows its client's feed, the same as the list's
        self.assertEqual(self.entries(person), [(entry.kind, entry.summary) for entry in timeline])

    def test_filter_by_kind(self):
        client, _person = self.make_history()
        self.assertEqual(
            self.entries(client, "status"), [("status", f"{self.status_new.name} → {self.status_active.name}")]
        )
        self.assertEqual(self.entries(client, "note"), [("note", "Agreed on a call next week")])
        full = client.action_client_timeline()
        self.assertEqual(self.env["crm.client.timeline"].search_count(full["domain"]), len(self.entries(client)))

    def test_pages(self):
        client, _person = self.make_history()
        for index in range(45):
            client.message_post(body=f"Note {index}", message_type="comment", subtype_xmlid="mail.mt_note")
        first = client.client_timeline_read()
        self.assertEqual((len(first["entries"]), first["total"]), (40, 45 + 6))
        self.assertEqual(first["entries"][0]["summary"], "Note 44")
        second = client.client_timeline_read(offset=40)
        self.assertEqual(len(second["entries"]), 11)
        self.assertFalse({e["id"] for e in first["entries"]} & {e["id"] for e in second["entries"]})
        self.assertIn(["status", "Status Change"], [list(kind) for kind in first["kinds"]])
        self.assertEqual(len(client.client_timeline_read(limit=10_000)["entries"]), 51)

    def test_a_page_holds_at_most_200_entries(self):
        client, _person = self.make_history()
        for index in range(200):
            client.message_post(body=f"Note {index}", message_type="comment", subtype_xmlid="mail.mt_note")
        page = client.client_timeline_read(limit=10_000)
        self.assertEqual((len(page["entries"]), page["total"]), (200, 206))

    def test_bad_arguments_are_refused(self):
        client, _person = self.make_history()
        for kwargs in ({"kind": "gossip"}, {"offset": -1}, {"limit": 0}, {"limit": "40"}, {"offset": 1.5}):
            with self.assertRaises(UserError, msg=kwargs):
                client.client_timeline_read(**kwargs)

    def test_other_clients_never_mixed(self):
        first, _person = self.make_history("First")
        second = self.create_client(name="Second")
        self.assertFalse(self.timeline(second).filtered(lambda entry: entry.kind != "change"))
        self.assertFalse(set(self.timeline(first).ids) & set(self.timeline(second).ids))

    def test_entries_follow_access_rights(self):
        client, _person = self.make_history()
        other_company = self.env["res.company"].create({"name": "Other Company"})
        hidden = self.create_client(name="Hidden", company_id=other_company.id)
        hidden.message_post(body="Secret", message_type="comment", subtype_xmlid="mail.mt_note")
        user = self.client_user
        entries = self.env["crm.client.timeline"].with_user(user).search([("client_id", "in", (client | hidden).ids)])
        self.assertTrue(entries)
        self.assertEqual(entries.client_id, client, "a client of another company stays out (record rules)")
        # without access to clients (no client group), nothing at all
        with self.assertRaises(AccessError):
            self.env["crm.client.timeline"].with_user(self.employee).search([])

    def test_a_contact_of_another_company_stays_out_of_its_clients_page(self):
        # The page of one client checks the partner rules on its contact persons only
        # (issue 20): a contact the user cannot read is still left out.
        client, person = self.make_history()
        other_company = self.env["res.company"].create({"name": "Other Company"})
        person.company_id = other_company
        person.message_post(body="Secret of the other company", message_type="comment", subtype_xmlid="mail.mt_note")
        page = client.with_user(self.client_user).client_timeline_read()
        bodies = " ".join(entry["summary"] for entry in page["entries"])
        self.assertIn("Agreed on a call next week", bodies)
        self.assertNotIn("Secret of the other company", bodies)
        self.assertNotIn("Thanks for the offer", bodies)
        self.assertEqual(page["total"], len(page["entries"]))

    def test_entries_read_by_id_keep_the_rules_of_their_documents(self):
        """Reading given entries (a page's records, or ids an integrator sends) narrows
        the rules to those entries' documents and clients: an entry of a contact of
        another company stays unreadable, the others read."""
        client, person = self.make_history()
        other_company = self.env["res.company"].create({"name": "Other Company"})
        person.company_id = other_company
        secret = person.message_post(body="Secret of the other company", message_type="comment")
        Timeline = self.env["crm.client.timeline"]
        mine = Timeline.search([("client_id", "=", client.id), ("partner_id", "=", client.id)])
        self.assertTrue(mine)
        as_user = Timeline.with_user(self.client_user)
        self.assertEqual(as_user.search([("id", "in", [*mine.ids, secret.id])]).ids, as_user.browse(mine.ids).ids)
        self.assertTrue(all(as_user.browse(mine.ids).mapped("summary")))
        with self.assertRaises(AccessError):
            as_user.browse(secret.id).read(["summary"])

    def test_planned_activities_of_client_and_contacts(self):
        client, person = self.make_history()
        client.activity_schedule("mail.mail_activity_data_todo", summary="Send the contract")
        person.activity_schedule("mail.mail_activity_data_call", summary="Call again")
        self.assertEqual(
            sorted(client.client_planned_activity_ids.mapped("summary")), ["Call again", "Send the contract"]
        )

    def test_no_query_per_client(self):
        clients = self.Partner
        for index in range(8):
            clients |= self.make_history(f"Client {index}")[0]

        def queries(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records.mapped("client_done_activity_ids")
            records.mapped("client_planned_activity_ids")
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(clients[:1]), queries(clients), "the same queries for 1 client as for 8")

    def test_a_page_costs_the_same_queries_for_few_or_many_entries(self):
        small, _person = self.make_history("Small")
        big, _person = self.make_history("Big")
        for index in range(60):
            big.message_post(body=f"Note {index}", message_type="comment", subtype_xmlid="mail.mt_note")

        def queries(client):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            client.client_timeline_read()
            return self.env.cr.sql_log_count - before

        queries(small)  # warm the caches (models, fields, rules)
        self.assertEqual(queries(small), queries(big))

    def test_view_recreated_only_when_sources_change(self):
        Timeline = self.env["crm.client.timeline"]
        self.env.cr.execute("SELECT obj_description('crm_client_timeline'::regclass, 'pg_class')")
        digest = self.env.cr.fetchone()[0]
        self.assertTrue(digest)
        Timeline._timeline_refresh()
        self.env.cr.execute("SELECT obj_description('crm_client_timeline'::regclass, 'pg_class')")
        self.assertEqual(self.env.cr.fetchone()[0], digest)
        sources = {name: link for name, _table, link in Timeline._timeline_sources()}
        self.assertNotIn("res.partner", sources)
        for name, link in sources.items():
            self.assertIn(link, self.env[name]._fields)

    def test_a_user_without_client_rights_is_refused(self):
        outsider = new_test_user(self.env, login="timeline_outsider", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["crm.client.timeline"].with_user(outsider).search([])
