from odoo import fields, models


class CrmClientGroup(models.Model):
    _inherit = "crm.client.group"

    payment_term_id = fields.Many2one(
        "account.payment.term",
        string="Customer Payment Terms",
        help="For the group's clients without payment terms of their own (before the company's default).",
    )


class ResPartner(models.Model):
    _inherit = "res.partner"

    def _client_own_payment_term(self, company):
        """Partners (of these) that have payment terms of their own in ``company``, read
        from the company-dependent column itself (reading the field would give the
        company's default for the others)."""
        if not self.ids:
            return self.browse()
        self.env["res.partner"].flush_model(["property_payment_term_id"])
        self.env.cr.execute(
            "SELECT id FROM res_partner WHERE id IN %s AND (property_payment_term_id ->> %s) IS NOT NULL",
            (tuple(self.ids), str(company.id)),
        )
        return self.browse(row[0] for row in self.env.cr.fetchall())

    def _client_group_payment_term(self, company):
        """The payment term Odoo's chain gives, with the client group between the partner's
        own value and the company's default."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        group_term = commercial.client_group_id.payment_term_id
        if (
            group_term
            and group_term.company_id in (company, self.env["res.company"])
            and not (self | commercial)._client_own_payment_term(company)
        ):
            return group_term
        return self.with_company(company).property_payment_term_id
