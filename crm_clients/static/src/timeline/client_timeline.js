import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

import { Component, onWillStart, useEffect, useState } from "@odoo/owl";

const PAGE = 40;

/**
 * The Timeline tab of a client: one page of its feed at a time, asked from the server
 * whenever the tab opens, the record was saved (a new status), a filter or page is
 * chosen, or the user refreshes (after a note in the chatter).
 */
export class ClientTimeline extends Component {
    static template = "crm_clients.ClientTimeline";
    static props = { ...standardWidgetProps, kind: { type: String, optional: true } };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        // kind="activity" on the widget: one kind only, no filter buttons (the Activities tab)
        this.fixedKind = this.props.kind || "";
        this.state = useState({ kind: this.fixedKind, offset: 0, entries: [], total: 0, kinds: [], loading: true });
        this.loadedFor = null;
        onWillStart(() => this.load(this.props.record));
        // The template reads the record's write date, so a save re-renders this widget;
        // then the page is asked again (a status change is in the feed at once).
        useEffect(
            (stamp) => {
                if (stamp !== this.loadedFor) {
                    this.load(this.props.record);
                }
            },
            () => [this.stamp(this.props.record)]
        );
    }

    stamp(record) {
        return `${record.resId}/${record.data.write_date}`;
    }

    async load(record = this.props.record) {
        this.loadedFor = this.stamp(record);
        if (!record.resId) {
            Object.assign(this.state, { entries: [], total: 0, loading: false });
            return;
        }
        this.state.loading = true;
        const page = await this.orm.call("res.partner", "client_timeline_read", [[record.resId]], {
            kind: this.state.kind || false,
            offset: this.state.offset,
            limit: PAGE,
        });
        Object.assign(this.state, page, { loading: false });
    }

    formatDate(value) {
        return formatDateTime(deserializeDateTime(value));
    }

    get pageLabel() {
        const first = this.state.total ? this.state.offset + 1 : 0;
        const last = Math.min(this.state.offset + PAGE, this.state.total);
        return `${first}-${last} / ${this.state.total}`;
    }

    get hasPrevious() {
        return this.state.offset > 0;
    }

    get hasNext() {
        return this.state.offset + PAGE < this.state.total;
    }

    setKind(kind) {
        this.state.kind = kind;
        this.state.offset = 0;
        return this.load();
    }

    move(step) {
        this.state.offset = Math.max(0, this.state.offset + step * PAGE);
        return this.load();
    }

    badgeClass(kind) {
        return {
            note: "text-bg-light",
            message: "text-bg-info",
            status: "text-bg-warning",
            activity: "text-bg-success",
            change: "text-bg-secondary",
            record: "text-bg-primary",
        }[kind];
    }

    open(entry) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: entry.res_model,
            res_id: entry.res_id,
            views: [[false, "form"]],
        });
    }
}

registry.category("view_widgets").add("crm_client_timeline", {
    component: ClientTimeline,
    extractProps: ({ attrs }) => (attrs.kind ? { kind: attrs.kind } : {}),
});
