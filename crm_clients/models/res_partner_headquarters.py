"""Make Headquarters: another address of a client becomes its main one."""

from odoo import models
from odoo.exceptions import UserError


class ResPartner(models.Model):
    _inherit = "res.partner"

    def action_client_make_headquarters(self):
        """Make this address of a client its headquarters: the client's own address and
        this one swap their values."""
        self.ensure_one()
        client = self.parent_id
        if not client or self.type == "contact" or self.is_company:
            raise UserError(
                self.env._("Only another address of a client (invoice, delivery, other) can become its headquarters.")
            )
        fnames = self._address_fields()
        mine = self._update_fields_values(fnames)
        theirs = client._update_fields_values(fnames)
        old_hq = client._display_address(without_company=True).replace("\n", ", ")
        new_hq = self._display_address(without_company=True).replace("\n", ", ")
        client.write(mine)
        self.write(theirs)
        body = self.env._("Headquarters moved from %(old)s to %(new)s.", old=old_hq or "-", new=new_hq or "-")
        client._message_log(body=body)
        self._message_log(body=body)
        return True
