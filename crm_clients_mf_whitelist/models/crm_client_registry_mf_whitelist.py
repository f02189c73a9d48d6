import logging

from odoo import api, models
from odoo.addons.crm_clients.tools import polish_ids
from odoo.exceptions import UserError

from ..tools import whitelist

_logger = logging.getLogger(__name__)

PREFETCH = "crm_clients_mf_whitelist.prefetch"  # key of this transaction's prefetched answers


class CrmClientRegistryMfWhitelist(models.AbstractModel):
    """The Polish VAT white list as a registry provider."""

    _name = "crm.client.registry.mf_whitelist"
    _inherit = "crm.client.registry"
    _description = "Polish VAT White List"
    _registry_settings = "crm_clients_mf_whitelist"
    _registry_url = whitelist.BASE_URL
    _registry_cache_hours = 12
    _registry_requests_per_second = 2
    _registry_client = whitelist.Client

    @api.model
    def _registry_label(self):
        return self.env._("VAT white list")

    @api.model
    def _nip(self, partner):
        if partner.country_id and partner.country_id.code != "PL":
            return None
        digits = polish_ids.nip_digits(partner.vat) if partner.vat else None
        return digits if digits and len(digits) == 10 else None

    @api.model
    def _registry_applies(self, partner):
        return bool(self._nip(partner))

    @api.model
    def _registry_error_messages(self, error, subject):
        return {
            "limit": self.env._(
                "The VAT white list's daily limit of requests is used up (%(code)s %(detail)s). Try again tomorrow, or "
                "load the Ministry's flat file.",
                code=error.code,
                detail=error.detail,
            ),
            "network": self.env._("The VAT white list cannot be reached (%(detail)s).", detail=error.detail),
            "malformed": self.env._("The VAT white list sent an answer that cannot be read."),
            "http": self.env._("The VAT white list answered %(detail)s.", detail=error.detail),
            None: self.env._(
                "The VAT white list refused the request: %(code)s %(detail)s", code=error.code, detail=error.detail
            ),
        }

    @api.model
    def _whitelist_subject(self, nip):
        try:
            nip = polish_ids.normalize_nip(nip or "")
        except polish_ids.InvalidIdentifier as exc:
            raise UserError(self.env["res.partner"]._client_invalid_id_message("NIP", exc)) from exc
        today = whitelist.polish_today()

        def ask(client):
            # Answers fetched a moment ago for a whole selection, 30 NIPs per request.
            prefetched = self.env.cr.cache.get(PREFETCH, {}).get((nip, today))
            if prefetched:
                return prefetched
            subject, request_id = client.search_nip(nip, today)
            return {"nip": nip, "request_id": request_id, "subject": subject}

        return self._registry_fetch(f"{nip}:{today}", ask, subject=nip)

    @api.model
    def _whitelist_prefetch(self, nips):
        """Ask for many NIPs at once (30 per request) before a selection is updated one
        partner at a time; the answers wait in this transaction for :meth:`_whitelist_subject`.
        A failure here only leaves the partners to be asked one by one (and fail clearly)."""
        self._registry_check_access()
        today = whitelist.polish_today()
        client = self._registry_new_client()
        store = self.env.cr.cache.setdefault(PREFETCH, {})
        nips = sorted(set(nips) - {nip for nip, day in store if day == today})
        for start in range(0, len(nips), whitelist.MAX_NIPS):
            batch = nips[start : start + whitelist.MAX_NIPS]
            try:
                answers, request_id, _time = client.search_nips(batch, today)
            except whitelist.WhitelistError as exc:
                _logger.info("White list search of %s NIPs failed: %s", len(batch), exc)
                return
            for nip, answer in answers.items():
                if not isinstance(answer, tuple):  # a refused NIP is asked alone, and fails clearly
                    store[(nip, today)] = {"nip": nip, "request_id": request_id, "subject": answer}

    # ---- checking accounts for payments ----

    @api.model
    def _whitelist_pairs(self, pairs):
        """The pairs as the registers know them: (10-digit NIP, 26-digit account); others dropped."""
        clean = set()
        for nip, account in pairs:
            digits = polish_ids.nip_digits(nip) if nip else None
            number = whitelist.account_digits(account)
            if digits and len(digits) == 10 and number:
                clean.add((digits, number))
        return clean

    @api.model
    def _whitelist_known(self, pairs, day):
        """What is known offline about ``pairs`` (from :meth:`_whitelist_pairs`) on ``day``,
        without writing anything: ``{pair: {"result", "source", "proof", "check"}}`` from the
        checks recorded for that day, then from the flat file when it is loaded for it."""
        known = {}
        if not pairs:
            return known
        checks = (
            self.env["crm.client.whitelist.check"]
            .sudo()
            .search(
                [
                    ("date", "=", day),
                    ("nip", "in", list({n for n, _a in pairs})),
                    ("account", "in", list({a for _n, a in pairs})),
                ],
                order="id",
            )
        )
        for check in checks:
            if (check.nip, check.account) in pairs:
                known[(check.nip, check.account)] = {
                    "result": check.result,
                    "source": check.source,
                    "proof": check._proof_text(),
                    "check": check,
                }
        todo = pairs - set(known)
        flat = self.env["crm.client.whitelist.file"]._whitelist_file_for(day)
        if todo and flat:
            for pair, (status, mask) in flat._whitelist_lookup(todo).items():
                known[pair] = {
                    "result": status or "absent",
                    "source": "file",
                    "proof": self.env._("flat file of %(day)s", day=day),
                    "check": None,
                    "file": flat,
                    "mask": mask,
                }
        return known

    @api.model
    def _whitelist_verify(self, pairs, day, use_api=False):
        """Check ``pairs`` (NIP, account) for ``day`` and record the proof of each answer:
        from the checks already recorded, the flat file loaded for that day, else (with
        ``use_api``) the white list API, 30 NIPs per request. Returns ``(checks, problems)``:
        ``{pair: check record}`` and ``{pair: why it could not be checked}``; an API limit or
        failure leaves the pairs it did not reach in ``problems``, never "not on the list"."""
        self._registry_check_access()
        pairs = self._whitelist_pairs(pairs)
        day = min(day, whitelist.polish_today())  # the registers answer for past days only
        Check = self.env["crm.client.whitelist.check"].sudo()  # sudo: proofs are written by the checks only
        known = self._whitelist_known(pairs, day)
        checks, problems, create = {}, {}, []
        for pair, answer in known.items():
            if answer["check"]:
                checks[pair] = answer["check"]
            else:
                create.append(
                    {
                        "nip": pair[0],
                        "account": pair[1],
                        "date": day,
                        "result": answer["result"],
                        "source": "file",
                        "file_sha512": answer["file"].archive_sha512,
                        "mask": answer["mask"],
                    }
                )
        todo = sorted(pairs - set(known))
        if todo and use_api:
            answers, problems = self._whitelist_search_accounts(todo, day)
            create += [
                {"nip": nip, "account": account, "date": day, **values} for (nip, account), values in answers.items()
            ]
        elif todo:
            message = self.env._("no flat file is loaded for %(day)s and the white list was not asked", day=day)
            problems.update(dict.fromkeys(todo, message))
        for check in Check.create(create):
            checks[(check.nip, check.account)] = check
        return checks, problems

    @api.model
    def _whitelist_search_accounts(self, pairs, day):
        """Ask the API about ``pairs`` for ``day``, 30 NIPs per search request: the
        accounts each taxpayer has on the list that day. Returns ``({pair: check values},
        {pair: problem})``."""
        client = self._registry_new_client()
        by_nip = {}
        for nip, account in pairs:
            by_nip.setdefault(nip, []).append(account)
        nips = sorted(by_nip)
        answers, problems = {}, {}
        for start in range(0, len(nips), whitelist.MAX_NIPS):
            batch = nips[start : start + whitelist.MAX_NIPS]
            try:
                subjects, request_id, request_time = client.search_nips(batch, day)
            except whitelist.WhitelistError as exc:
                _logger.info("White list search of %s NIPs failed: %s", len(batch), exc)
                message = self._registry_error_message(exc)
                for nip in nips[start:]:
                    problems.update(dict.fromkeys(((nip, account) for account in by_nip[nip]), message))
                break
            for nip in batch:
                subject = subjects[nip]
                if isinstance(subject, tuple):
                    message = self.env._(
                        "the white list refused the NIP: %(code)s %(message)s", code=subject[0], message=subject[1]
                    )
                    problems.update(dict.fromkeys(((nip, account) for account in by_nip[nip]), message))
                    continue
                status = whitelist.STATUSES.get((subject or {}).get("statusVat"), "unregistered")
                listed = set((subject or {}).get("accountNumbers") or []) if status != "unregistered" else set()
                for account in by_nip[nip]:
                    if account not in listed and status != "unregistered" and subject.get("hasVirtualAccounts"):
                        # The API lists real accounts only: a virtual one is confirmed by the flat file.
                        problems[(nip, account)] = self.env._(
                            "the account is not among those the white list API lists, and the taxpayer has virtual "
                            "accounts, which only the flat file confirms"
                        )
                        continue
                    answers[(nip, account)] = {
                        "result": status if account in listed else "absent",
                        "source": "search",
                        "request_id": request_id,
                        "request_time": request_time,
                    }
        return answers, problems

    @api.model
    def _registry_search(self, identifier, country_code=None):
        answer = self._whitelist_subject(identifier)
        return [{**answer["subject"], "requestId": answer["request_id"]}] if answer["subject"] else []

    @api.model
    def _registry_lookup(self, partner):
        answer = self._whitelist_subject(self._nip(partner))
        subject = answer["subject"]
        if not subject:
            return []
        street, zip_code, city = whitelist.split_address(
            subject.get("workingAddress") or subject.get("residenceAddress")
        )
        accounts = sorted(subject.get("accountNumbers") or [])
        status = whitelist.STATUSES.get(subject.get("statusVat"), "unregistered")
        values = {
            "name": subject.get("name") or False,
            "legal_name": subject.get("name") or False,
            "street": street or False,
            "zip": zip_code or False,
            "city": city or False,
            "regon": subject.get("regon") or False,
            "krs": subject.get("krs") or False,
            "mf_vat_status": status,
            "mf_accounts": accounts,
            "mf_request_id": answer["request_id"],
        }
        description = dict(self.env["res.partner"]._fields["mf_vat_status"]._description_selection(self.env))[status]
        description += " · " + self.env._("%(count)s bank accounts", count=len(accounts))
        return [{"key": answer["nip"], "label": subject.get("name", ""), "description": description, "values": values}]
