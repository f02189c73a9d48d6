from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestClientBoxes(TransactionCase):
    def make_client(self, name):
        client = self.env["res.partner"].create({"name": name, "is_company": True})
        person = self.env["res.partner"].create({"name": f"{name} Person", "parent_id": client.id})
        client.activity_schedule("mail.mail_activity_data_todo", summary="Call back")
        person.activity_schedule("mail.mail_activity_data_call", summary="Call")
        self.env["ir.attachment"].create(
            {"name": "offer.pdf", "raw": b"%PDF", "res_model": "res.partner", "res_id": person.id}
        )
        person.message_post(body="Hello", message_type="email")
        return client

    def test_counts_include_contact_persons(self):
        client = self.make_client("Boxed")
        self.assertEqual(
            (
                client.client_contact_count,
                client.client_activity_count,
                client.client_document_count,
                client.client_email_count,
            ),
            (1, 2, 1, 1),
        )
        action = client.action_view_client_activities()
        self.assertEqual(self.env["mail.activity"].search_count(action["domain"]), 2)
        empty = self.env["res.partner"].create({"name": "Empty", "is_company": True})
        self.assertEqual(empty.client_document_count, 0)

    def test_no_query_per_partner(self):
        clients = self.env["res.partner"]
        for index in range(12):
            clients |= self.make_client(f"Client {index}")

        def queries(records):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            records.mapped("client_email_count")
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries(clients[:1]), queries(clients), "the same queries for 1 client as for 12")
