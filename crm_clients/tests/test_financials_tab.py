from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestFinancialsTab(TransactionCase):
    def _client_form(self, user):
        view = self.env.ref("crm_clients.view_partner_form_crm_client")
        return self.env["res.partner"].with_user(user).get_views([(view.id, "form")])["views"]["form"]["arch"]

    def test_the_tab_shows_only_for_the_financials_group(self):
        user = new_test_user(self.env, login="clerk-tab", groups="base.group_user,crm_clients.group_client_user")
        self.assertNotIn('name="crm_client_financials"', self._client_form(user))
        user.groups_id |= self.env.ref("crm_clients.group_client_financials")
        self.assertIn('name="crm_client_financials"', self._client_form(user))
