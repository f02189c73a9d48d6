"""In Chromium: the duplicate warning while a new client is typed, a merge choosing a
source's phone and the target's name, and the undo of a merge from the list of merges."""

import unittest

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "crm_clients_tour")
class TestMergeTours(HttpCase):
    def start_tour(self, url_path, tour_name, **kwargs):
        # A tour Chromium cannot run is a failure here, never a skip.
        try:
            return super().start_tour(url_path, tour_name, **kwargs)
        except unittest.SkipTest as exc:
            self.fail(f"tour {tour_name} could not run: {exc}")

    def test_duplicate_warning_opens_the_existing_client(self):
        Partner = self.env["res.partner"]
        existing = Partner.create({"name": "Tourmaline Twin Sp. z o.o.", "is_company": True})
        before = Partner.search_count([])
        self.start_tour("/odoo/clients/new", "crm_clients_duplicate_warning_tour", login="admin")
        self.assertEqual(Partner.search_count([]), before, "the new client was discarded")
        self.assertTrue(existing.exists())

    def test_merge_choosing_a_sources_phone_and_the_targets_name(self):
        Partner = self.env["res.partner"]
        keep = Partner.create({"name": "Tour Merge Keep", "is_company": True, "phone": "+48 22 111 22 33"})
        gone = Partner.create({"name": "Tour Merge Gone", "is_company": True, "phone": "+48 22 333 44 55"})
        self.start_tour("/odoo/clients?view_type=list", "crm_clients_merge_choice_tour", login="admin")
        self.assertFalse(gone.exists())
        self.assertEqual((keep.name, keep.phone), ("Tour Merge Keep", "+48223334455"))

    def test_undo_a_merge_from_the_list(self):
        Partner = self.env["res.partner"]
        keep = Partner.create({"name": "Tour Undo Keep", "is_company": True})
        gone = Partner.create({"name": "Tour Undo Gone", "is_company": True, "external_ref": "TOUR-UNDO"})
        Partner.client_merge([gone.id], keep.id)
        self.start_tour("/odoo/client-merges", "crm_clients_merge_undo_tour", login="admin")
        self.env.invalidate_all()
        self.assertTrue(gone.exists())
        self.assertEqual(gone.external_ref, "TOUR-UNDO")
